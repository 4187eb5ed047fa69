"""Redis loses an event's keys; ``ticketing reconcile --event ID --repair`` rebuilds its seats
and holds from PostgreSQL, and the API serves the event again with the right stats: exactly
the seats left are sold again, none twice. Seats an operator added before the loss, and the
sale's state, come back with it: PostgreSQL recorded the changes."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from tests.e2e.support import Shop, Stack, assert_seats_add_up, settle
from tests.support.http import unique_event_id
from tests.support.redis_servers import forget_events

pytestmark = pytest.mark.anyio

SEATS = 50
ADDED = 4
LIMIT = 2


async def buy(shop: Shop, event_id: str, user: str, quantity: int) -> tuple[str, str]:
    """Enters, waits for admission, holds ``quantity`` seats: answers (token, reservation id)."""
    token = await shop.enter(event_id, user)
    await shop.admitted(token)
    response = await shop.reserve(token, event_id, quantity)
    assert response.status_code == 202, response.text
    reservation_id: str = response.json()["reservationId"]
    return token, reservation_id


async def test_after_redis_lost_the_event_reconcile_restores_it_from_postgres(
    stack: Stack, shop: Shop
) -> None:
    event_id = unique_event_id("redis-lost")
    await shop.create_event(event_id, totalSeats=SEATS, maxPerUser=LIMIT, maxActiveUsers=1_000)
    holds = await asyncio.gather(*(buy(shop, event_id, f"early-{n}", LIMIT) for n in range(15)))
    acknowledged = dict.fromkeys((id_ for _, id_ in holds), "PENDING")
    for token, id_ in holds[:10]:
        acknowledged[id_] = (await shop.move(token, id_, "confirm"))["status"]
    for token, id_ in holds[10:12]:
        acknowledged[id_] = (await shop.move(token, id_, "cancel"))["status"]
    await settle(stack, event_id, acknowledged)
    await shop.operate(event_id, "seats", {"delta": ADDED})
    await shop.operate(event_id, "pause")
    await shop.operate(event_id, "resume")
    changes = await shop.recorded_changes(event_id, 3)
    assert [(c["kind"], c["totalSeats"], c["actor"][:12]) for c in changes] == [
        ("seats", SEATS + ADDED, "e2e operator"),
        ("pause", SEATS + ADDED, "e2e operator"),
        ("resume", SEATS + ADDED, "e2e operator"),
    ]
    # 10 holds of 2 confirmed, 2 cancelled, 3 pending: 20 + 6 seats taken.
    remaining = SEATS + ADDED - 20 - 6

    await forget_events(stack.redis, [event_id])
    code, report = await stack.reconcile(event_id)
    assert (code, "the event is missing from Redis" in report) == (1, True), report
    code, report = await stack.reconcile(event_id, repair=True)
    assert code == 0, report

    stats = await shop.stats(event_id)
    seats = (stats["remainingSeats"], stats["pendingSeats"], stats["confirmedSeats"])
    assert seats == (remaining, 6, 20)
    pending_token, pending_id = holds[12]
    assert (await shop.move(pending_token, pending_id, "confirm"))["status"] == "CONFIRMED"
    acknowledged[pending_id] = "CONFIRMED"

    async def try_one(user: str) -> tuple[int, str | None, str]:
        token = await shop.enter(event_id, user)
        await shop.admitted(token)
        response = await shop.reserve(token, event_id, 1)
        body = response.json()
        return response.status_code, body.get("code"), body.get("reservationId", "")

    tries = await asyncio.gather(*(try_one(f"late-{n}") for n in range(remaining + 10)))
    outcomes = Counter((status, code) for status, code, _ in tries)
    assert outcomes == {(202, None): remaining, (409, "sold_out"): 10}
    acknowledged.update({id_: "PENDING" for status, _, id_ in tries if status == 202})
    rows = await settle(stack, event_id, acknowledged)
    await assert_seats_add_up(stack, shop, event_id, SEATS + ADDED, rows.values())
