"""A drawn pre-queue (issue 14, item 6): everyone who entered before the opening is put in the
order the published seed gives (``ticketing_core.draw``), whoever came after joins behind; the
seed's SHA-256 is published from the start, the seed at the opening. On the memory and the
Redis backend; the test's clock, ticks by hand."""

from __future__ import annotations

import hashlib

import pytest

from tests.api.support import Sale, Stream
from tests.support.http import ADMIN
from tests.support.waiting import eventually
from ticketing_core.clock import to_datetime
from ticketing_core.draw import drawn_order

pytestmark = pytest.mark.anyio

EARLY = [f"early-{n}" for n in range(8)]


async def test_the_pre_queue_is_drawn_at_the_opening_in_the_order_the_seed_gives(
    sale: Sale, show: str
) -> None:
    opens_at = sale.clock.now_ms() + 60_000
    created = await sale.create_event(
        eventId=show,
        totalSeats=100,
        admissionRatePerSecond=1,
        drawAtOpening=True,
        opensAt=to_datetime(opens_at).isoformat(),
    )
    assert created["drawAtOpening"] is True
    assert len(created["drawCommitment"]) == 64
    assert "drawSeed" not in created, "the seed stays secret until the opening"
    tokens = {user: (await sale.enter(show, user))["token"] for user in EARLY}
    await sale.client.request(
        "DELETE", "/api/v1/queue", headers={"X-Queue-Token": tokens["early-3"]}
    )
    waiting = await sale.status(tokens["early-0"])
    assert (waiting["drawPending"], waiting["position"], waiting["estimatedWaitSeconds"]) == (
        True, 0, None
    )  # fmt: skip

    sale.clock.advance(60_000)
    late = (await sale.enter(show, "late"))["token"]
    assert (await sale.status(late))["drawPending"] is True, "no position before the draw"
    await sale.tick(show)

    event = await sale.event(show)
    seed = event["drawSeed"]
    assert hashlib.sha256(seed.encode()).hexdigest() == created["drawCommitment"]
    entrants = [user for user in EARLY if user != "early-3"]
    order = drawn_order(seed, entrants)
    first = await sale.status(tokens[order[0]])
    assert first["status"] == "ADMITTED", "one a second: the first drawn is in"
    places = [(await sale.status(tokens[user]))["position"] for user in order[1:]]
    assert places == list(range(1, len(order))), "the rest in the drawn order"
    assert (await sale.status(late))["position"] == len(order), "who came after, behind"
    assert order != sorted(entrants, key=EARLY.index), "a draw, not the order of entry"


async def test_a_stream_waits_for_the_draw_then_follows_the_drawn_place(
    sale: Sale, show: str
) -> None:
    opens_at = sale.clock.now_ms() + 60_000
    await sale.create_event(
        eventId=show,
        totalSeats=100,
        admissionRatePerSecond=1,
        drawAtOpening=True,
        opensAt=to_datetime(opens_at).isoformat(),
    )
    tokens = {user: (await sale.enter(show, user))["token"] for user in EARLY}
    stream = Stream(sale, tokens["early-5"])
    await eventually(
        lambda: [event for event, _, _ in stream.sent()] == ["draw_pending"],
        within=30,
        what="the stream says the order is drawn at the opening",
    )
    sale.clock.advance(60_000)
    await sale.tick(show)
    seed = (await sale.event(show))["drawSeed"]
    order = drawn_order(seed, EARLY)
    expected = order.index("early-5")  # the first drawn was admitted

    def positions() -> list[int]:
        return [data["position"] for event, data, _ in stream.sent() if event == "position"]

    if expected:
        await eventually(lambda: positions()[-1:] == [expected], within=30, what="the drawn place")
    else:
        await eventually(
            lambda: "admitted" in [event for event, _, _ in stream.sent()],
            within=30,
            what="the first drawn is admitted",
        )


async def test_a_sale_without_a_draw_publishes_nothing_of_one(sale: Sale, show: str) -> None:
    created = await sale.create_event(eventId=show)
    assert created["drawAtOpening"] is False
    assert "drawCommitment" not in created
    assert "drawSeed" not in created
    refused = await sale.client.patch(
        f"/api/v1/events/{show}", json={"drawAtOpening": True}, headers=ADMIN
    )
    assert refused.status_code == 400, "a draw is chosen when the sale is created"
