#!/usr/bin/env bash
# Installs the load generators `make bench` drives (docs/adr/0005-load-generators.md): wrk from
# Debian's packages and vegeta from the Go module proxy into .services/bin. Idempotent: does
# nothing when both are there.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
VEGETA_MODULE=github.com/tsenart/vegeta/v12@v12.13.0
TOOLS=$ROOT/.services/bin

log() { echo "install-bench-tools: $*" >&2; }

if ! command -v wrk >/dev/null; then
  SUDO=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { log "need root or sudo to apt-get install wrk"; exit 1; }
    SUDO=(sudo)
  fi
  log "installing wrk from Debian's packages"
  "${SUDO[@]}" apt-get update -qq
  "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends wrk >&2
  command -v wrk >/dev/null || { log "wrk is still missing"; exit 1; }
fi

if [[ ! -x $TOOLS/vegeta ]]; then
  command -v go >/dev/null || { log "vegeta is missing and so is Go to install it with"; exit 1; }
  log "installing $VEGETA_MODULE into $TOOLS"
  mkdir -p "$TOOLS"
  GOBIN=$TOOLS go install "$VEGETA_MODULE" >&2
fi
