"""A waiting buyer keeps the place only while there (issue 14, item 5): whoever was not seen
within the sale's presence timeout when their turn comes is skipped (``ABANDONED``), and the
turn goes to the next buyer who is there. On the memory and the Redis backend; the test's
clock, ticks by hand."""

from __future__ import annotations

import pytest

from tests.api.support import Sale
from tests.support.http import ADMIN

pytestmark = pytest.mark.anyio


async def test_an_absent_buyer_is_skipped_and_the_present_one_behind_is_admitted(
    sale: Sale, show: str
) -> None:
    await sale.create_event(
        eventId=show, totalSeats=10, admissionRatePerSecond=1, presenceTimeoutSeconds=10
    )
    ann, bob, cat = [(await sale.enter(show, user))["token"] for user in ("ann", "bob", "cat")]
    sale.clock.advance(11_000)
    assert (await sale.status(bob))["position"] == 2, "bob is there: he reads his place"

    await sale.tick(show)

    skipped = await sale.status(ann)
    assert (skipped["status"], skipped["position"]) == ("ABANDONED", 0)
    assert (await sale.status(bob))["status"] == "ADMITTED", "the turn went to bob"
    assert (await sale.status(cat))["position"] == 1, "cat moved up; her turn is next"
    assert (await sale.event(show))["stats"]["abandonedUsers"] == 1

    again = await sale.enter(show, "ann")
    assert (again["status"], again["position"]) == ("WAITING", 2), "back in line, at the back"


async def test_buyers_who_read_their_place_in_time_are_all_admitted_in_order(
    sale: Sale, show: str
) -> None:
    await sale.create_event(
        eventId=show, totalSeats=10, admissionRatePerSecond=1, presenceTimeoutSeconds=10
    )
    tokens = [(await sale.enter(show, f"buyer-{n}"))["token"] for n in range(3)]
    for _ in range(3):
        sale.clock.advance(5_000)
        for token in tokens:
            await sale.status(token)  # what the buyer page does while it is open
        await sale.tick(show)

    assert [(await sale.status(t))["status"] for t in tokens] == ["ADMITTED"] * 3
    assert (await sale.event(show))["stats"]["abandonedUsers"] == 0


async def test_presence_off_keeps_every_place_and_an_operator_can_turn_it_on(
    sale: Sale, show: str
) -> None:
    created = await sale.create_event(
        eventId=show, totalSeats=10, admissionRatePerSecond=1, presenceTimeoutSeconds=0
    )
    assert created["presenceTimeoutSeconds"] == 0
    ann, bob, cy = [(await sale.enter(show, user))["token"] for user in ("ann", "bob", "cy")]
    sale.clock.advance(3_600_000)
    await sale.tick(show)
    assert (await sale.status(ann))["status"] == "ADMITTED", "an hour unseen, still there"

    changed = await sale.client.patch(
        f"/api/v1/events/{show}", json={"presenceTimeoutSeconds": 60}, headers=ADMIN
    )
    assert changed.json()["presenceTimeoutSeconds"] == 60
    sale.clock.advance(1_000)
    await sale.tick(show)
    assert (await sale.status(bob))["status"] == "ADMITTED", "a new timeout counts from now"
    sale.clock.advance(61_000)
    await sale.tick(show)
    assert (await sale.status(cy))["status"] == "ABANDONED", "unseen for longer than it"
