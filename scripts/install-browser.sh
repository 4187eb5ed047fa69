#!/usr/bin/env bash
# Installs Debian's Chromium (and a font for legible screenshots) for the browser test,
# tests/api/test_browser_sale.py, which drives /usr/bin/chromium through Playwright.
# Idempotent: does nothing when both are there. Never downloads a browser build of its own:
# Playwright is pointed at this Chromium, so `playwright install` is never needed.
set -euo pipefail

if [[ -x /usr/bin/chromium ]] && dpkg -s fonts-dejavu-core >/dev/null 2>&1; then
  exit 0
fi

SUDO=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "install-browser: need root or sudo for apt-get" >&2; exit 1; }
  SUDO=(sudo)
fi
echo "install-browser: installing chromium and fonts-dejavu-core from Debian's packages" >&2
"${SUDO[@]}" apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
  chromium fonts-dejavu-core >&2
test -x /usr/bin/chromium || { echo "install-browser: /usr/bin/chromium is still missing" >&2; exit 1; }
