"""Rebuilds an event's seats and reservations in Redis from the durable record (PostgreSQL).

What ``ticketing reconcile --repair`` writes, in one script so that no request ever sees half
of it: the settings, the stock counters, every reservation record, the holds (PENDING ones,
by expiry) and each user's held seats; the admission bucket and the outbox stream and group
only if they are missing. The waiting room (places, queue, admissions) and the idempotency
answers are not in PostgreSQL and stay as they are: after Redis lost everything, buyers enter
the queue again. Records use the layout of ``lua/lib.lua`` (``codec.py`` reads them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Final

from adapters.redis import codec
from adapters.redis.client import RedisClient
from adapters.redis.keys import EVENTS_KEY, OUTBOX_GROUP, KeyName, event_key
from ticketing_core.model import Reservation, ReservationStatus, StockStats
from ticketing_core.settings import EventSettings

_RESTORE_KEYS: Final[tuple[KeyName, ...]] = (
    "settings",
    "stock",
    "bucket",
    "reservations",
    "holds",
    "held",
    "outbox",
)

# ARGV: settings JSON, remaining, pending, confirmed, full bucket (thousandths), opens_at,
# outbox group, n, then n (id, record) pairs, then m, then m (expiry, id) pairs, then the
# rest as (user, seats) pairs. HSET/ZADD per item: unpack() is bounded to ~8000 values.
_RESTORE: Final = """
local settings, stock, bucket, reservations, holds, held, outbox =
  KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7]
redis.call('SET', settings, ARGV[1])
redis.call('HSET', stock, 'remaining', ARGV[2], 'pending', ARGV[3], 'confirmed', ARGV[4])
redis.call('HSETNX', bucket, 'tokens', ARGV[5])
redis.call('HSETNX', bucket, 'at', ARGV[6])
if redis.call('EXISTS', outbox) == 0 then
  redis.call('XGROUP', 'CREATE', outbox, ARGV[7], '0', 'MKSTREAM')
end
redis.call('DEL', reservations, holds, held)
local i = 8
local n = tonumber(ARGV[i])
for j = 1, n do
  redis.call('HSET', reservations, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * n + 1
local m = tonumber(ARGV[i])
for j = 1, m do
  redis.call('ZADD', holds, ARGV[i + 2 * j - 1], ARGV[i + 2 * j])
end
i = i + 2 * m + 1
while i < #ARGV do
  redis.call('HSET', held, ARGV[i], ARGV[i + 1])
  i = i + 2
end
return n
"""


def stock_of(settings: EventSettings, reservations: Sequence[Reservation]) -> StockStats:
    """The stock counters the reservations imply: seats not held are on sale."""
    seats = Counter[ReservationStatus]()
    for reservation in reservations:
        seats[reservation.status] += reservation.quantity
    pending, confirmed = seats[ReservationStatus.PENDING], seats[ReservationStatus.CONFIRMED]
    return StockStats(settings.total_seats - pending - confirmed, pending, confirmed)


def encode_record(reservation: Reservation) -> str:
    """``"quantity|STATUS|created_at|expires_at|updated_at|user"``, as ``lib.lua`` writes it."""
    r = reservation
    return f"{r.quantity}|{r.status.value}|{r.created_at}|{r.expires_at}|{r.updated_at}|{r.user_id}"


async def read_stock(client: RedisClient, event_id: str) -> StockStats | None:
    """The event's stock counters in Redis; None when the event is not there."""
    found = await client.hmget(event_key(event_id, "stock"), ["remaining", "pending", "confirmed"])
    if None in found:
        return None
    remaining, pending, confirmed = (int(codec.text(value)) for value in found)
    return StockStats(remaining, pending, confirmed)


async def outbox_backlog(client: RedisClient, event_id: str) -> int:
    """Messages recorded in Redis and not yet delivered to Kafka (the stream keeps exactly
    those: the relays delete what they acknowledge)."""
    return int(await client.xlen(event_key(event_id, "outbox")))


async def restore_event(
    client: RedisClient,
    settings: EventSettings,
    reservations: Sequence[Reservation],
    now_ms: int,
) -> StockStats:
    """Overwrites the event's seats and reservations with ``reservations``; returns the stock
    it wrote. Run it while nothing reserves on the event: it replaces, it does not merge."""
    stock = stock_of(settings, reservations)
    records: list[str | int] = [len(reservations)]
    for r in reservations:
        records += [r.reservation_id, encode_record(r)]
    pending = [r for r in reservations if r.status is ReservationStatus.PENDING]
    holds: list[str | int] = [len(pending)]
    for r in pending:
        holds += [r.expires_at, r.reservation_id]
    held_by_user = Counter[str]()
    for r in reservations:
        if r.status.holds_seats:
            held_by_user[r.user_id] += r.quantity
    held: list[str | int] = [part for pair in held_by_user.items() for part in pair]
    script = client.register_script(_RESTORE)
    await script(
        keys=[event_key(settings.event_id, name) for name in _RESTORE_KEYS],
        args=[
            settings.model_dump_json(),
            stock.remaining,
            stock.pending_seats,
            stock.confirmed_seats,
            settings.admission_rate_per_second * 1000,
            settings.opens_at_ms,
            OUTBOX_GROUP,
            *records,
            *holds,
            *held,
        ],
    )
    # The registry lies outside the event's hash tag: its own command, as the catalog does.
    await client.zadd(EVENTS_KEY, {settings.event_id: now_ms}, nx=True)
    return stock
