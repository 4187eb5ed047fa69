"""Seats, holds and reservations on Redis: each change is one script (see lua/) that also
records the change's message in the event's outbox."""

from __future__ import annotations

from ticketing_adapters.redis import codec
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import category_field, event_key
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.errors import EventNotFound, InvalidInput
from ticketing_core.model import CategoryStock, Reservation, ReservationItem, StockStats
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
        items: tuple[ReservationItem, ...] = (),
    ) -> Reservation:
        if settings.categories is not None and not items:
            # The script takes what it is told; a sale's category counters need items.
            raise InvalidInput("categoryId: this sale has seat categories; name one")
        key = () if idempotency_key is None else (idempotency_key,)
        asked: list[str | int] = [len(items)]
        for item in items:
            category = settings.category(item.category_id)
            assert category is not None, item  # items_asked names only the sale's categories
            asked += [item.category_id, item.quantity, category.max_per_user]
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
            1 if settings.presale else 0,
            *asked,
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
        found = await read_stock(self._client, settings)
        if found is None:
            raise EventNotFound(f"no event {settings.event_id}")
        return found


_COUNTERS = ("remaining", "pending", "confirmed")


async def read_stock(client: RedisClient, settings: EventSettings) -> StockStats | None:
    """The event's stock counters, of the sale and of each seat category (one HMGET); None
    when the event is not there."""
    categories = [c.category_id for c in settings.categories or ()]
    fields = [*_COUNTERS] + [
        category_field(counter, category) for category in categories for counter in _COUNTERS
    ]
    found = await client.hmget(event_key(settings.event_id, "stock"), fields)
    if found[0] is None:
        return None
    # A category's counter absent (written by another version) reads as none of its seats.
    counts = [int(codec.text(value)) if value is not None else 0 for value in found]
    remaining, pending, confirmed = counts[:3]
    return StockStats(
        remaining,
        pending,
        confirmed,
        categories=tuple(
            CategoryStock(category, counts[3 + 3 * n], counts[4 + 3 * n], counts[5 + 3 * n])
            for n, category in enumerate(categories)
        ),
    )
