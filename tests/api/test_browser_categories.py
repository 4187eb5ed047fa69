"""A sale with seat categories in a real browser: the operator makes it on the operator page, a
buyer holds seats of both categories at once on the buyer page, and the operator's
per-category stats follow (held, then sold, then one category sold out). And a sale with a
presale: made on the operator page with its access codes, entered with one on the buyer page.

The same real ``ticketing serve`` and Debian's Chromium as ``test_browser_sale``; its
screenshots land next to that test's, in test-output/screenshots/.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.api.test_browser_sale import DESKTOP, PHONE, SCREENSHOTS, Person
from tests.support.http import ADMIN_KEY

pytestmark = pytest.mark.browser

FLOOR = {"categoryId": "floor", "name": "Floor", "seats": "4", "maxPerUser": "2", "price": "99"}
STANDS = {
    "categoryId": "stands",
    "name": "Stands",
    "seats": "2",
    "maxPerUser": "3",
    "price": "49.50",
}


def test_an_operator_sells_two_categories_and_a_buyer_holds_seats_of_both(
    browser: Browser, server: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    operator = Person(browser, server, "categories-operator", DESKTOP, SCREENSHOTS)
    admin = operator.page
    create_a_two_category_sale(operator)

    buyer = Person(browser, server, "categories-buyer", PHONE, SCREENSHOTS)
    page = buyer.page
    page.goto("/")
    page.get_by_label("Your name or e-mail").fill("dora")
    expect(page.locator(".event .kinds")).to_have_text("Floor 99.00: 4 left · Stands 49.50: 2 left")
    page.get_by_role("button", name="Join the queue for Two Tiers").click()
    expect(page.get_by_text("It is your turn.")).to_be_visible()
    page.get_by_label("Seats of Floor").fill("1")
    page.get_by_label("Seats of Stands").fill("2")
    expect(page.locator("#kinds-total")).to_have_text("3 seats chosen: 198.00 in all.")
    buyer.shot("categories-1-chosen")
    page.get_by_role("button", name="Reserve").click()

    expect(page.locator("#hold-seats")).to_have_text("3 seats")
    expect(page.locator("#hold-items li")).to_have_text(
        ["Floor: 1 seat at 99.00 each", "Stands: 2 seats at 49.50 each"]
    )
    buyer.shot("categories-2-hold")
    expect_category(admin, "floor", remaining="3 / 4", pending="1", confirmed="0", state="on sale")
    expect_category(
        admin, "stands", remaining="0 / 2", pending="2", confirmed="0", state="all held"
    )
    expect(admin.locator("#pending")).to_have_text("3")
    operator.shot("categories-2-held")

    # Confirmed, the stands are sold out; the buyer (3 of 5 seats) may still add a floor seat.
    page.get_by_role("button", name="Confirm").click()
    expect(buyer.notice).to_contain_text("Confirmed: 3 seats are yours.")
    stands = page.locator('.kind[data-category="stands"]')
    expect(stands.locator(".kind-left")).to_have_text("Sold out")
    expect(page.get_by_label("Seats of Stands")).to_be_disabled()
    expect(page.get_by_label("Seats of Floor")).to_have_attribute("max", "1")
    buyer.shot("categories-3-stands-sold-out")
    expect_category(
        admin, "stands", remaining="0 / 2", pending="0", confirmed="2", state="sold out"
    )
    expect_category(admin, "floor", remaining="3 / 4", pending="0", confirmed="1", state="on sale")
    operator.shot("categories-3-sold")

    for person in (operator, buyer):
        assert person.problems == [], (person.name, person.problems)


def test_an_operator_makes_a_presale_and_its_codes_and_a_buyer_enters_with_one(
    browser: Browser, server: str
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    operator = Person(browser, server, "presale-operator", DESKTOP, SCREENSHOTS)
    admin = operator.page
    log_in(operator)
    now = datetime.now(UTC)  # the contexts' zone: the local times the form reads are UTC
    local = {"now": now, "in an hour": now + timedelta(hours=1), "later": now + timedelta(hours=2)}
    at = {when: moment.strftime("%Y-%m-%dT%H:%M:%S") for when, moment in local.items()}
    for field, value in {
        "name": "Presale Sale",
        "eventId": "presale-sale",
        "totalSeats": "10",
        "opensAt": at["later"],
    }.items():
        admin.locator(f'#create-form [name="{field}"]').fill(value)
    # A draw or a presale, not both: either box, ticked, puts the other out of reach.
    draw = admin.get_by_role("checkbox", name="Draw at opening")
    presale = admin.get_by_role("checkbox", name="Presale")
    draw.check()
    expect(presale).to_be_disabled()
    draw.uncheck()
    presale.check()
    expect(draw).to_be_disabled()
    expect(draw).not_to_be_checked()
    admin.locator("#presale-opens").fill(at["now"])
    admin.locator("#presale-closes").fill(at["in an hour"])
    admin.get_by_role("button", name="Create the sale").click()
    expect(operator.notice).to_contain_text("Created “Presale Sale” (presale-sale)")
    expect(admin.locator("#settings")).to_contain_text("presale")

    admin.get_by_label("Codes to make").fill("2")
    admin.get_by_label("Entries per code").fill("1")
    admin.get_by_role("button", name="Make the codes").click()
    expect(operator.notice).to_contain_text("Made 2 access codes.")
    shown = admin.get_by_label("New codes, one a line")
    expect(shown).to_have_value(re.compile(r"^[A-Za-z0-9_-]+\n[A-Za-z0-9_-]+$"))
    codes = shown.input_value().split("\n")
    uses = admin.locator("#codes-rows td:nth-child(2)")
    expect(uses).to_have_text(["0 of 1", "0 of 1"])
    expect(admin.locator("#codes-summary")).to_contain_text("2 codes, 0 entries so far")
    listed = admin.locator("#codes-list").inner_text()
    assert not any(code in listed for code in codes), "the list shows no code, only its id"
    operator.shot("presale-1-codes")

    buyer = Person(browser, server, "presale-buyer", PHONE, SCREENSHOTS)
    page = buyer.page
    page.goto("/")
    page.get_by_label("Your name or e-mail").fill("eve")
    page.get_by_role("button", name="Join the queue for Presale Sale").click()
    page.get_by_label("Access code").fill(codes[0])
    page.get_by_role("button", name="Enter with this code").click()
    # In line: waiting, or (the presale admitting now) already at the seats.
    expect(page.locator("section.screen:visible")).to_have_id(re.compile(r"^(waiting|shop)$"))
    buyer.shot("presale-2-in-line")

    admin.get_by_role("button", name="Refresh the codes").click()
    expect(admin.locator("#codes-summary")).to_contain_text("2 codes, 1 entry so far")
    expect(uses.filter(has_text="1 of 1")).to_have_count(1)
    operator.shot("presale-3-used")

    for person in (operator, buyer):
        assert person.problems == [], (person.name, person.problems)


def log_in(operator: Person) -> None:
    admin = operator.page
    admin.goto("/admin")
    admin.get_by_label("Key").fill(ADMIN_KEY)
    admin.get_by_role("button", name="Use this key").click()
    expect(operator.notice).to_contain_text("Key accepted.")


def create_a_two_category_sale(operator: Person) -> None:
    """Two category rows; the sale's seats are their sum, so that field steps aside."""
    admin = operator.page
    log_in(operator)
    for field, value in {"name": "Two Tiers", "eventId": "two-tiers"}.items():
        admin.locator(f'#create-form [name="{field}"]').fill(value)
    for index, category in enumerate((FLOOR, STANDS)):
        admin.get_by_role("button", name="Add a category").click()
        row = admin.locator("#category-rows .category-row").nth(index)
        for field, value in category.items():
            row.locator(f'[data-field="{field}"]').fill(value)
    expect(admin.locator('#create-form [name="totalSeats"]')).to_be_disabled()
    operator.shot("categories-1-new-sale")
    admin.get_by_role("button", name="Create the sale").click()
    expect(operator.notice).to_contain_text("Created “Two Tiers” (two-tiers)")
    expect(admin.locator("#remaining")).to_have_text("6 / 6")
    expect_category(admin, "floor", remaining="4 / 4", pending="0", confirmed="0", state="on sale")
    expect(admin.locator("#seat-category option")).to_have_text(["Floor", "Stands"])


def expect_category(
    admin: Page, category: str, *, remaining: str, pending: str, confirmed: str, state: str
) -> None:
    row = admin.locator(f'#category-stats tr[data-category="{category}"]')
    for cell, text in {
        "remaining": remaining,
        "pending": pending,
        "confirmed": confirmed,
        "state": state,
    }.items():
        expect(row.locator(f".{cell}")).to_have_text(text)
