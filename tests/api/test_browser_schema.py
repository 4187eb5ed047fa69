"""The Swagger UI page at ``/schema`` in a real browser with no network but loopback.

A real ``ticketing serve`` process (in-memory backends) and Debian's Chromium, as in
test_browser_sale.py: every request for another host is aborted, so the page must render the
API's operations from this server's files alone, under its Content-Security-Policy, and call
the API from "Try it out". Screenshot in test-output/screenshots/schema.png.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Route, expect

from tests.support.http import LOOPBACK

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
STEP_MS = 10_000

RECORD_VIOLATIONS = """
window.__violations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__violations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""
"""Injected by the browser (not the page), before any of the page's own scripts run."""


def test_the_swagger_page_renders_the_api_offline_under_its_csp(
    browser: Browser, server: str
) -> None:
    context = browser.new_context(base_url=server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(STEP_MS)
    blocked: list[str] = []
    problems: list[str] = []

    def only_loopback(route: Route) -> None:
        if urlsplit(route.request.url).hostname == LOOPBACK:
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    def console(message: ConsoleMessage) -> None:
        if message.type in {"error", "warning"}:
            problems.append(f"{message.type}: {message.text}")

    context.route("**/*", only_loopback)
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(f"uncaught: {error}"))

    page.goto("/schema")

    expect(page.locator(".opblock-summary-description").first).to_be_visible()
    expect(page.get_by_text("Create an event (a sale)")).to_be_visible()
    expect(page.get_by_text("Follow one's place live until admitted")).to_be_visible()
    assert page.evaluate("typeof SwaggerUIBundle") == "function"

    # "Try it out" calls the API from the page: connect-src 'self' lets it through.
    live = page.locator(".opblock", has=page.get_by_text("The process answers"))
    live.locator(".opblock-summary").click()
    live.get_by_role("button", name="Try it out").click()
    live.get_by_role("button", name="Execute").click()
    expect(live.locator(".live-responses-table tr.response .response-col_status")).to_have_text(
        "200"
    )
    expect(live.locator(".live-responses-table").get_by_text('"alive"')).to_be_visible()

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "schema.png", full_page=True)
    violations = page.evaluate("window.__violations")
    context.close()

    assert violations == []
    assert problems == []
    assert blocked == []
