"""A whole sale in a real browser: an operator and three buyers on the web client (issue 7).

A real ``ticketing serve`` process (in-memory backends) and Debian's Chromium driven by
Playwright, each person in a browser context of their own. Screenshots of every key moment land
in test-output/screenshots/. Chromium comes from scripts/install-browser.sh (``make browser``,
which ``make test`` runs); Playwright never downloads a browser here.
"""

from __future__ import annotations

import re
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Locator,
    ViewportSize,
    expect,
)

from tests.support.http import ADMIN, ADMIN_KEY

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parents[2] / "test-output" / "screenshots"
PHONE: ViewportSize = {"width": 390, "height": 844}
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
STEP_MS = 10_000
"""The longest any one step may take: every wait in this test is bounded by it."""
OPENS_IN = timedelta(seconds=10)
"""Time for the operator to create the sale and for the three buyers to get in line before
it opens, so that each of them sees their place."""


@pytest.fixture
def screenshots() -> Path:
    """Emptied first, so that every picture there is from this run."""
    shutil.rmtree(SCREENSHOTS, ignore_errors=True)
    SCREENSHOTS.mkdir(parents=True)
    return SCREENSHOTS


class Person:
    """One person at one browser: a context of their own (own session storage, own cookies)."""

    def __init__(
        self, browser: Browser, base: str, name: str, screen: ViewportSize, shots: Path
    ) -> None:
        self.name = name
        self.shots = shots
        # UTC, so that the operator's local opening time is the moment the test means.
        self.context = browser.new_context(base_url=base, viewport=screen, timezone_id="UTC")
        self.context.set_default_timeout(STEP_MS)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("pageerror", lambda error: self.problems.append(f"uncaught: {error}"))
        self.page.on("console", self._console)

    def _console(self, message: ConsoleMessage) -> None:
        # Chromium logs every 4xx answer as an error; refusals are part of the sale.
        if message.type == "error" and "Failed to load resource" not in message.text:
            self.problems.append(message.text)

    @property
    def notice(self) -> Locator:
        return self.page.locator("#notice")

    def shot(self, moment: str) -> None:
        self.page.screenshot(path=self.shots / f"{self.name}-{moment}.png", full_page=True)


def test_an_operator_and_three_buyers_run_a_whole_sale_in_the_browser(
    browser: Browser, server: str, screenshots: Path
) -> None:
    operator = Person(browser, server, "operator", DESKTOP, screenshots)
    opens_at = create_the_sale(operator)
    ann, bob, cy = (
        Person(browser, server, name, PHONE, screenshots) for name in ("ann", "bob", "cy")
    )
    get_in_line([ann, bob, cy], operator)
    assert datetime.now(UTC) < opens_at, "the buyers got in line after the sale opened"

    # The sale opens: every stream says "admitted", and each page offers the seats.
    opening_ms = int(OPENS_IN.total_seconds() * 1000) + STEP_MS
    for buyer in (ann, bob, cy):
        expect(buyer.page.get_by_text("It is your turn.")).to_be_visible(timeout=opening_ms)
    ann.shot("3-admitted")

    two_hold_and_the_third_finds_it_sold_out(ann, bob, cy, operator)

    ann.page.get_by_role("button", name="Cancel").click()
    expect(ann.notice).to_contain_text("Cancelled: 1 seat went back on sale.")
    expect(ann.page.locator("#done-text")).to_contain_text("to buy again, enter the queue again.")
    ann.shot("5-cancelled")

    cy.page.get_by_role("button", name="Try again").click()
    expect(cy.page.locator("#hold-seats")).to_have_text("1 seat")
    cy.shot("5-hold")
    for buyer in (cy, bob):
        buyer.page.get_by_role("button", name="Confirm").click()
        expect(buyer.notice).to_contain_text("Confirmed: 1 seat is yours.")
        expect(buyer.page.locator("#done-text")).to_contain_text("You have your seats")
        buyer.shot("6-confirmed")

    admin = operator.page
    expect(admin.locator("#confirmed")).to_have_text("2")
    expect(admin.locator("#pending")).to_have_text("0")
    expect(admin.locator("#remaining")).to_have_text("0 / 2")
    expect(admin.locator("#chart polyline.sold")).to_have_attribute("points", re.compile(r"\d"))
    operator.shot("5-sold")

    for person in (operator, ann, bob, cy):
        assert person.problems == [], (person.name, person.problems)


def create_the_sale(operator: Person) -> datetime:
    """The operator enters the key and creates a sale of 2 seats; answers when it opens."""
    admin = operator.page
    admin.goto("/admin")
    admin.get_by_label("Key").fill(ADMIN_KEY)
    operator.shot("1-key")
    admin.get_by_role("button", name="Use this key").click()
    opens_at = datetime.now(UTC) + OPENS_IN
    settings = {
        "name": "Browser Sale",
        "totalSeats": "2",
        "eventId": "browser-sale",
        "maxPerUser": "1",
        "opensAt": opens_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "admissionRatePerSecond": "1000",
        "maxActiveUsers": "100",
        "admissionTtlSeconds": "300",
        "holdTtlSeconds": "120",
    }
    for field, value in settings.items():
        admin.locator(f'#create-form [name="{field}"]').fill(value)
    operator.shot("2-new-sale")
    admin.get_by_role("button", name="Create the sale").click()
    expect(operator.notice).to_contain_text("Created “Browser Sale” (browser-sale)")
    expect(admin.locator("#remaining")).to_have_text("2 / 2")
    return opens_at


def get_in_line(buyers: list[Person], operator: Person) -> None:
    """Each buyer picks the sale and sees their place; a reload keeps it."""
    for place, buyer in enumerate(buyers, start=1):
        buyer.page.goto("/")
        buyer.page.get_by_label("Your name or e-mail").fill(buyer.name)
        if place == 1:
            expect(buyer.page.locator(".event")).to_contain_text("Opens soon")
            buyer.shot("1-sales")
        buyer.page.get_by_role("button", name="Join the queue for Browser Sale").click()
        expect(buyer.page.locator("#position")).to_have_text(str(place))
        expect(buyer.page.locator("#link")).to_contain_text("Live")
        buyer.shot("2-waiting")
    # The token is in the tab's session storage.
    last = buyers[-1]
    last.page.reload()
    expect(last.page.locator("#position")).to_have_text(str(len(buyers)))
    expect(operator.page.locator("#waiting")).to_have_text(str(len(buyers)))
    operator.shot("3-waiting")


def two_hold_and_the_third_finds_it_sold_out(
    first: Person, second: Person, third: Person, operator: Person
) -> None:
    for buyer in (first, second):
        buyer.page.get_by_role("button", name="Reserve").click()
        expect(buyer.page.locator("#hold-seats")).to_have_text("1 seat")
        buyer.shot("4-hold")
    third.page.get_by_role("button", name="Reserve").click()
    expect(third.notice).to_contain_text("Sold out: no seat is free right now.")
    expect(third.notice).to_contain_text("no seat is left right now")  # the server's own detail
    expect(third.page.get_by_role("button", name="Try again")).to_be_visible()
    third.shot("4-sold-out")
    expect(operator.page.locator("#remaining")).to_have_text("0 / 2")
    expect(operator.page.locator("#pending")).to_have_text("2")
    operator.shot("4-all-held")


def test_the_operator_pauses_resumes_and_closes_a_sale_as_buyers_see_it(
    browser: Browser, server: str, screenshots: Path
) -> None:
    operator = Person(browser, server, "controls-operator", DESKTOP, screenshots)
    admin = operator.page
    log_in_after_a_wrong_key(operator)
    create_a_slow_sale_of_three_seats(operator)

    admin.get_by_role("button", name="Pause admissions").click()
    expect(admin.locator("#state")).to_have_text("paused: nobody is admitted")
    ann, bob, cy = (
        Person(browser, server, name, PHONE, screenshots) for name in ("ann", "bob", "cy")
    )
    for buyer in (ann, bob):
        join_while_paused(buyer)
    ann.shot("controls-1-paused")
    operator.shot("controls-1-paused")

    admin.get_by_role("button", name="Resume admissions").click()
    expect(ann.page.get_by_text("It is your turn.")).to_be_visible()
    expect(bob.page.get_by_text("It is your turn.")).to_be_visible()  # a second later, at 1/s

    admin.get_by_role("button", name="Pause admissions").click()
    join_while_paused(cy)
    admin.once("dialog", lambda dialog: dialog.accept())
    admin.get_by_role("button", name="Close the sale…").click()
    expect(admin.locator("#state")).to_have_text("closed for good")
    expect(admin.get_by_role("button", name="Close the sale…")).to_be_disabled()
    operator.shot("controls-2-closed")
    expect(cy.page.locator("#done-text")).to_have_text(
        "The organiser closed this sale: no more seats are sold in it."
    )
    cy.shot("controls-2-closed")
    ann.page.get_by_role("button", name="Reserve").click()
    expect(ann.notice).to_contain_text("The organiser closed this sale")
    expect(ann.page.locator("#done-text")).to_contain_text("The organiser closed this sale")
    ann.shot("controls-2-closed")
    ticks = admin.locator("#chart text").count() - 3  # the time axis has three labels
    assert ticks >= 3, "the value axis shows more than 0 and its top"

    for person in (operator, ann, bob, cy):
        assert person.problems == [], (person.name, person.problems)


def log_in_after_a_wrong_key(operator: Person) -> None:
    """A wrong key is said at once, before any form; the right one opens the console."""
    admin = operator.page
    admin.goto("/admin")
    admin.get_by_label("Key").fill("not-the-key")
    admin.get_by_role("button", name="Use this key").click()
    expect(admin.locator("#key-refused")).to_be_visible()
    expect(admin.locator("#console")).to_be_hidden()
    admin.get_by_label("Key").fill(ADMIN_KEY)
    admin.get_by_role("button", name="Use this key").click()
    expect(operator.notice).to_contain_text("Key accepted.")


def create_a_slow_sale_of_three_seats(operator: Person) -> None:
    """Opening now, admitting one buyer a second; its tiles fit the desktop width."""
    admin = operator.page
    required = admin.locator('#create-form [name="totalSeats"]')
    assert not required.evaluate("input => input.matches(':user-invalid')"), "red before typing"
    fields = {"name": "Controls Sale", "totalSeats": "3", "eventId": "controls"}
    for field, value in {**fields, "admissionRatePerSecond": "1"}.items():
        admin.locator(f'#create-form [name="{field}"]').fill(value)
    admin.get_by_role("button", name="Create the sale").click()
    expect(admin.locator("#state")).to_have_text("open")
    tile = admin.locator("#remaining")
    expect(tile).to_have_text("3 / 3")
    height, font = tile.evaluate(
        "e => [e.getBoundingClientRect().height, parseFloat(getComputedStyle(e).fontSize)]"
    )
    assert height < 2 * font, "the seats tile holds its value on one line at 1280 px"


def join_while_paused(buyer: Person) -> None:
    """A name with a space is refused in place; the buyer's own name gets in line, paused."""
    page = buyer.page
    page.goto("/")
    page.get_by_label("Your name or e-mail").fill(f"{buyer.name} smith")
    page.get_by_role("button", name="Join the queue for Controls Sale").click()
    expect(page.locator("#waiting")).to_be_hidden()
    page.get_by_label("Your name or e-mail").fill(buyer.name)
    page.get_by_role("button", name="Join the queue for Controls Sale").click()
    expect(page.locator("#wait")).to_have_text("paused by the organiser: you keep your place")


WORK_BITS = 16
"""About 65,000 tries: a fraction of a second in Chromium here, long enough to be real work."""


def test_a_buyer_page_does_the_sales_proof_of_work_and_gets_in_line(
    browser: Browser, server: str, screenshots: Path
) -> None:
    sale = {
        "eventId": "work-sale",
        "name": "Work Sale",
        "totalSeats": 5,
        "entryWorkBits": WORK_BITS,
    }
    created = httpx.post(f"{server}/api/v1/events", json=sale, headers=ADMIN, timeout=10)
    assert created.status_code == 201, created.text
    buyer = Person(browser, server, "dee", PHONE, screenshots)
    page = buyer.page
    page.goto("/")
    page.get_by_label("Your name or e-mail").fill("dee")
    page.get_by_role("button", name="Join the queue for Work Sale").click()
    expect(page.get_by_text("It is your turn.")).to_be_visible(timeout=6 * STEP_MS)
    buyer.shot("work-admitted")
    tokens = page.evaluate("Object.keys(sessionStorage)")
    assert tokens, "the page keeps its place in session storage"
    assert buyer.problems == []
    metrics = httpx.get(f"{server}/metrics", timeout=10).text
    assert "entry_challenges_solved_total 1.0" in metrics, "the page solved one challenge"
