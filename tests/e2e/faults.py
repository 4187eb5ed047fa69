"""A crowd of buyers through a fault, and what must hold after it: every hold answered 202
stored once in PostgreSQL with its last acknowledged status, every waiting buyer's place
kept, the seats adding up in Redis and PostgreSQL, and no request answered 500."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx

from tests.e2e.support import Shop, Stack, assert_seats_add_up, stored
from tests.support.http import queue_token, unique_event_id
from tests.support.waiting import eventually

WAITING_BUYERS = 30
HOLDS_BEFORE_THE_FAULT = 150
HOLDS_AFTER_IT = 100
SETTLE_WITHIN = 120.0


@dataclass
class Record:
    """What the crowd's clients were answered."""

    acknowledged: dict[str, str] = field(default_factory=dict)
    """Reservation id -> the status last answered with success (202 PENDING, 200 CONFIRMED)."""
    unsure: set[str] = field(default_factory=set)
    """Reservations whose confirm was answered 503: it may or may not have happened."""
    unsure_buyers: set[str] = field(default_factory=set)
    """Buyers whose reserve was answered 503: a hold may or may not exist for them."""
    statuses: Counter[int] = field(default_factory=Counter)


class TolerantShop:
    """A buyer's client as it should behave: a 503 is retried after a back-off; an instance
    that stopped answering is left for the next of ``apis`` (as a load balancer would)."""

    def __init__(self, apis: list[httpx.AsyncClient], record: Record) -> None:
        self.apis = apis
        self.record = record

    async def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The first answer that is not 503, for a request that may be repeated."""
        while True:
            response = await self.send(method, path, **options)
            if response is not None and response.status_code != 503:
                return response
            await asyncio.sleep(0.2)  # a client's back-off, not a wait for a state

    async def send(self, method: str, path: str, **options: Any) -> httpx.Response | None:
        """The answer, or None when the instance did not answer (then the next one is used)."""
        try:
            response = await self.apis[0].request(method, path, **options)
        except httpx.TransportError as error:
            if len(self.apis) == 1:
                raise AssertionError(f"{method} {path} not answered: {error!r}") from error
            self.apis = self.apis[1:]
            self.record.statuses[0] += 1
            return None
        self.record.statuses[response.status_code] += 1
        if response.status_code == 503:
            assert response.headers.get("Retry-After"), response.headers
            assert response.json()["code"] == "service_unavailable", response.text
        return response

    async def buy(self, event_id: str, user: str, confirm: bool) -> None:
        entered = await self.call(
            "POST", "/api/v1/queue/enter", json={"eventId": event_id, "userId": user}
        )
        assert entered.status_code == 200, entered.text
        token = entered.json()["token"]

        async def admitted() -> bool:
            status = await self.call("GET", "/api/v1/queue/status", headers=queue_token(token))
            assert status.status_code == 200, status.text
            return bool(status.json()["status"] == "ADMITTED")

        await eventually(admitted, within=60, every=0.05, what=f"{user} admitted")
        body = {"eventId": event_id, "quantity": 1}
        held = await self.send(
            "POST", "/api/v1/tickets/reserve", json=body, headers=queue_token(token)
        )
        if held is None or held.status_code == 503:
            self.record.unsure_buyers.add(user)
            return
        assert held.status_code == 202, held.text
        reservation_id = held.json()["reservationId"]
        self.record.acknowledged[reservation_id] = "PENDING"
        if confirm:
            path = f"/api/v1/tickets/{reservation_id}/confirm"
            confirmed = await self.send("POST", path, headers=queue_token(token))
            if confirmed is None or confirmed.status_code == 503:
                self.record.unsure.add(reservation_id)
                return
            assert confirmed.status_code == 200, confirmed.text
            self.record.acknowledged[reservation_id] = "CONFIRMED"


async def crowd_through(
    stack: Stack,
    fault: Callable[[Record], Awaitable[None]],
    also_on: list[httpx.AsyncClient] | None = None,
) -> Record:
    """A reserve crowd and a waiting room through ``fault``; then checks that nothing the
    clients were told was lost or doubled, no place moved, the seats add up, and no request
    was answered 500. The crowd uses the stack's API and those ``also_on``, and fails over
    between them; the waiting room is read through the stack's API."""
    record = Record()
    async with Shop.of(stack) as shop:
        apis = [shop.api, *(also_on or [])]
        waiting_room = unique_event_id("fault-later")
        opens = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        await shop.create_event(waiting_room, totalSeats=10, opensAt=opens)
        tokens = [await shop.enter(waiting_room, f"early-{n}") for n in range(WAITING_BUYERS)]
        places_before = await places(shop, tokens)
        assert sorted(places_before.values()) == list(range(1, WAITING_BUYERS + 1))

        sale = unique_event_id("fault")
        await shop.create_event(
            sale, totalSeats=100_000, admissionRatePerSecond=10_000, maxActiveUsers=10_000
        )
        stop = asyncio.Event()

        async def lane(lane: int) -> None:
            # Lanes spread over the instances; each fails over to the others in turn.
            first = lane % len(apis)
            buyers = TolerantShop([*apis[first:], *apis[:first]], record)
            buyer = 0
            while not stop.is_set():
                buyer += 1
                await buyers.buy(sale, f"lane{lane}-buyer{buyer}", confirm=buyer % 3 == 0)

        crowd = asyncio.gather(*(lane(n) for n in range(8)))
        try:
            await eventually(
                lambda: len(record.acknowledged) >= HOLDS_BEFORE_THE_FAULT,
                within=120,
                what="holds before the fault",
            )
            await fault(record)
            holds_after_fault = len(record.acknowledged)
            await eventually(
                lambda: len(record.acknowledged) >= holds_after_fault + HOLDS_AFTER_IT,
                within=120,
                what="holds after the fault",
            )
        finally:
            stop.set()
            await crowd

        print(f"answers (0: no answer): {dict(record.statuses)}; {len(record.acknowledged)} holds")
        assert record.statuses[500] == 0, record.statuses
        assert await places(shop, tokens) == places_before
        rows = await settled(stack, sale, record)
        await assert_seats_add_up(stack, shop, sale, 100_000, rows)
    return record


async def places(shop: Shop, tokens: list[str]) -> dict[str, int]:
    places = {}
    for token in tokens:
        status = await shop.api.get("/api/v1/queue/status", headers=queue_token(token))
        assert status.status_code == 200, status.text
        places[token] = status.json()["position"]
    return places


async def settled(stack: Stack, event_id: str, record: Record) -> list[Any]:
    """Waits until PostgreSQL holds every acknowledged reservation once, in the status last
    acknowledged (either status for a confirm answered 503), and nothing else but holds of
    buyers whose reserve was answered 503."""

    async def agrees() -> bool:
        if not await stack.drained(event_id):
            return False
        rows = await stored(stack.record, event_id)
        for id_, status in record.acknowledged.items():
            row = rows.get(id_)
            if row is None:
                return False
            if row.status.value != status and not (
                id_ in record.unsure and row.status.value == "CONFIRMED"
            ):
                return False
        extra = [row for id_, row in rows.items() if id_ not in record.acknowledged]
        return all(row.user_id in record.unsure_buyers for row in extra)

    await eventually(agrees, within=SETTLE_WITHIN, every=0.5, what="PostgreSQL caught up")
    return list((await stored(stack.record, event_id)).values())
