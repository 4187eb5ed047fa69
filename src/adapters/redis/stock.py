"""Seats, holds and reservations on Redis: each change is one script (see lua/) that also
records the change's message in the event's outbox."""

from __future__ import annotations

from ticketing_adapters.redis import codec
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import event_key
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.errors import EventNotFound
from ticketing_core.model import Reservation, StockStats
from ticketing_core.sale import IDEMPOTENCY_WINDOW_MS
from ticketing_core.settings import EventSettings


class RedisStockStore:
    def __init__(self, client: RedisClient, scripts: Scripts) -> None:
        self._client = client
        self._scripts = scripts

    async def reserve(
        self,
        settings: EventSettings,
        user_id: str,
        quantity: int,
        reservation_id: str,
        idempotency_key: str | None,
        now_ms: int,
    ) -> Reservation:
        key = () if idempotency_key is None else (idempotency_key,)
        made = await self._scripts.run(
            "reserve",
            settings.event_id,
            user_id,
            quantity,
            reservation_id,
            now_ms,
            IDEMPOTENCY_WINDOW_MS,
            settings.max_per_user,
            settings.hold_ttl_ms,
            *key,
        )
        return codec.reservations(settings.event_id, made)[0]

    async def confirm(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        done = await self._scripts.run(
            "confirm", settings.event_id, user_id, reservation_id, now_ms
        )
        return codec.reservations(settings.event_id, done)[0]

    async def cancel(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        done = await self._scripts.run("cancel", settings.event_id, user_id, reservation_id, now_ms)
        return codec.reservations(settings.event_id, done)[0]

    async def expire_holds(
        self, settings: EventSettings, now_ms: int, limit: int
    ) -> list[Reservation]:
        expired = await self._scripts.run("expire_holds", settings.event_id, now_ms, limit)
        return codec.reservations(settings.event_id, expired)

    async def get(self, event_id: str, reservation_id: str) -> Reservation | None:
        record = await self._client.hget(event_key(event_id, "reservations"), reservation_id)
        if record is None:
            return None
        return codec.reservation(event_id, reservation_id, codec.text(record))

    async def stats(self, settings: EventSettings) -> StockStats:
        found = await read_stock(self._client, settings.event_id)
        if found is None:
            raise EventNotFound(f"no event {settings.event_id}")
        return found


async def read_stock(client: RedisClient, event_id: str) -> StockStats | None:
    """The event's stock counters (one HMGET); None when the event is not there."""
    found = await client.hmget(event_key(event_id, "stock"), ["remaining", "pending", "confirmed"])
    if None in found:
        return None
    remaining, pending, confirmed = (int(codec.text(value)) for value in found)
    return StockStats(remaining, pending, confirmed)
