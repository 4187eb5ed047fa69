"""Redis SIGKILLed under a reserve crowd and restarted by the project's script, or paused with
SIGSTOP for ten seconds: no hold the API answered 202 is lost or doubled, every waiting buyer
keeps the place they had, the seats add up, no request is answered 500, and nothing needs a
restart or a reconcile."""

from __future__ import annotations

import asyncio
import signal
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support import Shop, Stack, assert_seats_add_up, running_stack, stored
from tests.support.http import queue_token, unique_event_id
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.waiting import eventually
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

WAITING_BUYERS = 30
HOLDS_BEFORE_THE_CRASH = 150
HOLDS_AFTER_THE_RESTART = 100
UNAVAILABLE_ANSWERS_DURING_THE_OUTAGE = 20
PAUSE_SECONDS = 10.0
SETTLE_WITHIN = 120.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "services") as server:
        yield server


@pytest.fixture
async def stack_on_own_redis(
    process_settings: Settings, own_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running_stack(process_settings, own_redis.url, tmp_path) as stack:
        yield stack


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
    """Buyers' clients as they should behave: a 503 is retried after its ``Retry-After``."""

    def __init__(self, api: httpx.AsyncClient, record: Record) -> None:
        self.api = api
        self.record = record

    async def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """Answers the first response that is not 503 for an idempotent request."""
        while True:
            response = await self.send(method, path, **options)
            if response.status_code != 503:
                return response
            await asyncio.sleep(0.2)  # a client's back-off, not a wait for a state

    async def send(self, method: str, path: str, **options: Any) -> httpx.Response:
        try:
            response = await self.api.request(method, path, **options)
        except httpx.TransportError as error:
            raise AssertionError(f"{method} {path} not answered: {error!r}") from error
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
        if held.status_code == 503:
            self.record.unsure_buyers.add(user)
            return
        assert held.status_code == 202, held.text
        reservation_id = held.json()["reservationId"]
        self.record.acknowledged[reservation_id] = "PENDING"
        if confirm:
            path = f"/api/v1/tickets/{reservation_id}/confirm"
            confirmed = await self.send("POST", path, headers=queue_token(token))
            if confirmed.status_code == 503:
                self.record.unsure.add(reservation_id)
                return
            assert confirmed.status_code == 200, confirmed.text
            self.record.acknowledged[reservation_id] = "CONFIRMED"


async def test_a_redis_crash_loses_no_acknowledged_hold_and_no_place_in_the_queue(
    stack_on_own_redis: Stack, own_redis: PrivateRedis
) -> None:
    async def crash_and_restart(record: Record) -> None:
        own_redis.signal(signal.SIGKILL)
        await eventually(
            lambda: record.statuses[503] >= UNAVAILABLE_ANSWERS_DURING_THE_OUTAGE,
            within=60,
            what="the API answering 503 while Redis is down",
        )
        await asyncio.to_thread(own_redis.up)

    await crowd_through(stack_on_own_redis, crash_and_restart)


async def test_a_redis_paused_for_ten_seconds_loses_and_duplicates_nothing(
    stack_on_own_redis: Stack, own_redis: PrivateRedis
) -> None:
    async def pause(_: Record) -> None:
        own_redis.signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(PAUSE_SECONDS)  # the fault's length, not a wait for a state
        finally:
            own_redis.signal(signal.SIGCONT)

    await crowd_through(stack_on_own_redis, pause)


async def crowd_through(stack: Stack, fault: Callable[[Record], Awaitable[None]]) -> None:
    """A reserve crowd and a waiting room through ``fault``; then checks that nothing the
    clients were told was lost or doubled, no place moved, the seats add up, and no request
    was answered 500."""
    record = Record()
    async with Shop.of(stack) as shop:
        waiting_room = unique_event_id("redis-crash-later")
        opens = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        await shop.create_event(waiting_room, totalSeats=10, opensAt=opens)
        tokens = [await shop.enter(waiting_room, f"early-{n}") for n in range(WAITING_BUYERS)]
        places_before = await places(shop, tokens)
        assert sorted(places_before.values()) == list(range(1, WAITING_BUYERS + 1))

        sale = unique_event_id("redis-crash")
        await shop.create_event(
            sale, totalSeats=100_000, admissionRatePerSecond=10_000, maxActiveUsers=10_000
        )
        buyers = TolerantShop(shop.api, record)
        stop = asyncio.Event()

        async def lane(lane: int) -> None:
            buyer = 0
            while not stop.is_set():
                buyer += 1
                await buyers.buy(sale, f"lane{lane}-buyer{buyer}", confirm=buyer % 3 == 0)

        crowd = asyncio.gather(*(lane(n) for n in range(8)))
        try:
            await eventually(
                lambda: len(record.acknowledged) >= HOLDS_BEFORE_THE_CRASH,
                within=120,
                what="holds before the crash",
            )
            await fault(record)
            holds_at_restart = len(record.acknowledged)
            await eventually(
                lambda: len(record.acknowledged) >= holds_at_restart + HOLDS_AFTER_THE_RESTART,
                within=120,
                what="holds after the restart",
            )
        finally:
            stop.set()
            await crowd

        print(f"answers: {dict(record.statuses)}; holds {len(record.acknowledged)}")
        assert record.statuses[500] == 0, record.statuses
        assert await places(shop, tokens) == places_before
        rows = await settled(stack, sale, record)
        await assert_seats_add_up(stack, shop, sale, 100_000, rows)


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
