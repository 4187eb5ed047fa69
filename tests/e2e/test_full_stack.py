"""A whole sale on the real stack, over HTTP: an API process and a worker process on Redis,
Kafka and PostgreSQL. What buyers were told is what PostgreSQL ends up holding."""

from __future__ import annotations

import asyncio
from collections import Counter

import httpx
import pytest

from tests.e2e.support import Shop, Stack, assert_seats_add_up, settle, stored
from tests.support.http import queue_token, unique_event_id
from tests.support.waiting import eventually
from ticketing_adapters.redis.keys import event_key
from ticketing_core.model import ReservationItem

pytestmark = pytest.mark.anyio

SEATS = 100
BUYERS = 300
HOLD_SECONDS = 12
"""Long enough to confirm and cancel before it runs out, short enough to watch it expire."""


async def buy_one(shop: Shop, event_id: str, n: int) -> tuple[str, httpx.Response]:
    """Enters, waits for admission (every tenth buyer on the position stream, the others by
    polling the status), reserves one seat; answers the token and the reserve response."""
    token = await shop.enter(event_id, f"buyer-{n}")
    if n % 10 == 0:
        await shop.admitted_by_stream(token)
    else:
        await shop.admitted(token)
    return token, await shop.reserve(token, event_id)


async def test_300_buyers_for_100_seats_leave_exactly_the_100_holds_and_their_fates_in_postgres(
    stack: Stack, shop: Shop
) -> None:
    event_id = unique_event_id("full-stack")
    await shop.create_event(
        event_id,
        totalSeats=SEATS,
        maxActiveUsers=BUYERS,
        admissionRatePerSecond=1_000,
        holdTtlSeconds=HOLD_SECONDS,
        admissionTtlSeconds=HOLD_SECONDS,
    )
    assert await stack.record.event(event_id) is not None, "recorded before it went on sale"

    bought = await asyncio.gather(*(buy_one(shop, event_id, n) for n in range(BUYERS)))

    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code == 409 else None) for _, r in bought
    )
    assert outcomes == {(202, None): SEATS, (409, "sold_out"): BUYERS - SEATS}
    holds = {r.json()["reservationId"]: token for token, r in bought if r.status_code == 202}

    async def all_held_in_postgres() -> bool:
        rows = await stored(stack.record, event_id)
        return {id_: row.status.value for id_, row in rows.items()} == dict.fromkeys(
            holds, "PENDING"
        )

    await eventually(all_held_in_postgres, within=60)
    code, refusal = await stack.archive(event_id)
    assert code == 1, refusal
    assert f"the sale {event_id} is not over" in refusal

    ids = sorted(holds)
    to_confirm, to_cancel, to_expire = ids[:30], ids[30:60], ids[60:]
    moved = await asyncio.gather(
        *(shop.move(holds[id_], id_, "confirm") for id_ in to_confirm),
        *(shop.move(holds[id_], id_, "cancel") for id_ in to_cancel),
    )
    assert Counter(r["status"] for r in moved) == {"CONFIRMED": 30, "CANCELLED": 30}
    fates = {
        **dict.fromkeys(to_confirm, "CONFIRMED"),
        **dict.fromkeys(to_cancel, "CANCELLED"),
        **dict.fromkeys(to_expire, "EXPIRED"),
    }

    async def every_fate_in_postgres() -> bool:
        rows = await stored(stack.record, event_id)
        return {id_: row.status.value for id_, row in rows.items()} == fates

    await eventually(every_fate_in_postgres, within=HOLD_SECONDS + 60)
    stats = await shop.stats(event_id)
    seats = (stats["remainingSeats"], stats["pendingSeats"], stats["confirmedSeats"])
    assert seats == (SEATS - 30, 0, 30)
    rows = await stored(stack.record, event_id)
    await assert_seats_add_up(stack, shop, event_id, SEATS, rows.values())

    async def sale_is_over() -> bool:
        # The buyers told sold_out were admitted after some holds were made, so their
        # admissions can outlive the last hold by a moment.
        stats = await shop.stats(event_id)
        return bool(stats["waitingUsers"] == stats["activeUsers"] == stats["pendingSeats"] == 0)

    await eventually(sale_is_over, within=HOLD_SECONDS + 10)
    # The sale is over: archived, it leaves Redis; its reservations stay readable, from
    # PostgreSQL.
    code, archived = await stack.archive(event_id)
    assert code == 0, archived
    assert (await shop.api.get(f"/api/v1/events/{event_id}")).status_code == 404
    for id_ in (to_confirm[0], to_cancel[0], to_expire[0]):
        response = await shop.read(holds[id_], id_)
        assert response.status_code == 200, response.text
        assert response.json()["status"] == fates[id_]
        assert response.json()["reservationId"] == id_
    someone_else = holds[to_confirm[1]]
    assert (await shop.read(someone_else, to_confirm[0])).status_code == 404


TIERS = [
    {"categoryId": "floor", "name": "Floor", "seats": 10, "maxPerUser": 2, "price": 9900},
    {"categoryId": "stands", "name": "Stands", "seats": 20, "maxPerUser": 4, "price": 4900},
]


async def test_a_two_category_sale_is_recorded_per_category_and_reconcile_repairs_it(
    stack: Stack, shop: Shop
) -> None:
    """Holds of both categories at once reach PostgreSQL with their items; a category's
    counter gone wrong in Redis is found and rebuilt from them."""
    event_id = unique_event_id("tiers")
    await shop.create_event(event_id, categories=TIERS, admissionRatePerSecond=1_000)
    items = [{"categoryId": "floor", "quantity": 1}, {"categoryId": "stands", "quantity": 2}]

    async def buy(n: int) -> httpx.Response:
        token = await shop.enter(event_id, f"tiered-{n}")
        await shop.admitted(token)
        return await shop.api.post(
            "/api/v1/tickets/reserve",
            json={"eventId": event_id, "items": items},
            headers=queue_token(token),
        )

    bought = await asyncio.gather(*(buy(n) for n in range(12)))

    codes = Counter(r.json()["code"] if r.status_code == 409 else r.status_code for r in bought)
    assert codes == {202: 10, "sold_out": 2}, "the last two find the floor sold out"
    held = {r.json()["reservationId"]: "PENDING" for r in bought if r.status_code == 202}
    rows = await settle(stack, event_id, held)
    assert {row.items for row in rows.values()} == {
        (ReservationItem("floor", 1), ReservationItem("stands", 2))
    }
    stats = await shop.stats(event_id)
    assert [(c["remainingSeats"], c["pendingSeats"]) for c in stats["categories"]] == [
        (0, 10),
        (0, 20),
    ]
    code, report = await stack.reconcile(event_id)
    assert code == 0, report

    await stack.redis.hincrby(event_key(event_id, "stock"), "remaining|stands", 3)
    code, report = await stack.reconcile(event_id)
    assert code == 1, report
    assert "stands remaining seats: Redis 3, PostgreSQL 0" in report
    code, report = await stack.reconcile(event_id, repair=True)
    assert code == 0, report
    assert [c["remainingSeats"] for c in (await shop.stats(event_id))["categories"]] == [0, 0]
