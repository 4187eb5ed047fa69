"""Rebuilds an event's seats and reservations in Redis from the durable record (PostgreSQL).

What ``ticketing reconcile --repair`` writes, in one script (``lua/restore.lua``) so that no
request ever sees half of it: the settings, the stock counters, every reservation record, the
holds (PENDING ones, by expiry) and each user's held seats; the admission bucket and the outbox
stream and group only if they are missing. The waiting room (places, queue, admissions) and
the idempotency answers are not in PostgreSQL and stay as they are: after Redis lost
everything, buyers enter the queue again. Records use the layout of ``lua/lib.lua``
(``codec.py`` writes and reads them).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from ticketing_adapters.redis import codec
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import EVENTS_KEY, OUTBOX_GROUP, event_key
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.codes import CodeUses
from ticketing_core.model import Reservation, ReservationStatus, StockStats
from ticketing_core.settings import EventSettings


async def outbox_backlog(client: RedisClient, event_id: str) -> int:
    """Messages recorded in Redis and not yet delivered to Kafka (the stream keeps exactly
    those: the relays delete what they acknowledge)."""
    return int(await client.xlen(event_key(event_id, "outbox")))


async def restore_event(
    client: RedisClient,
    settings: EventSettings,
    reservations: Sequence[Reservation],
    now_ms: int,
    codes: Sequence[CodeUses] = (),
) -> StockStats:
    """Overwrites the event's seats, reservations and access codes (with their uses) with
    ``reservations`` and ``codes``; returns the stock it wrote. Run it while nothing reserves
    on the event: it replaces, it does not merge."""
    stock = StockStats.of_reservations(settings, reservations)
    counters: list[str | int] = [len(stock.categories)]
    for c in stock.categories:
        counters += [c.category_id, c.remaining, c.pending_seats, c.confirmed_seats]
    issued: list[str | int] = [len(codes)]
    for number, code in enumerate(codes, start=1):
        issued += [code.code.digest, codec.code_record(number, code)]
    records: list[str | int] = [len(reservations)]
    for r in reservations:
        records += [r.reservation_id, codec.record(r)]
    pending = [r for r in reservations if r.status is ReservationStatus.PENDING]
    holds: list[str | int] = [len(pending)]
    for r in pending:
        holds += [r.expires_at, r.reservation_id]
    held_by_user = Counter[str]()  # user, and "<category>|<user>" (lib.lua's held_field)
    for r in reservations:
        if r.status.holds_seats:
            held_by_user[r.user_id] += r.quantity
            for item in r.items:
                held_by_user[f"{item.category_id}|{r.user_id}"] += item.quantity
    held: list[str | int] = [part for pair in held_by_user.items() for part in pair]
    await Scripts(client).run(
        "restore",
        settings.event_id,
        settings.model_dump_json(),
        stock.remaining,
        stock.pending_seats,
        stock.confirmed_seats,
        settings.admission_rate_per_second * 1000,
        settings.first_opening_ms,
        OUTBOX_GROUP,
        _draw_state(settings, now_ms),
        *counters,
        *issued,
        *records,
        *holds,
        *held,
    )
    # The registry lies outside the event's hash tag: its own command, as the catalog does.
    await client.zadd(EVENTS_KEY, {settings.event_id: now_ms}, nx=True)
    return stock


def _draw_state(settings: EventSettings, now_ms: int) -> str:
    """A drawn pre-queue's state for a rebuilt sale: to come before the opening, made after."""
    if not settings.draw_at_opening:
        return ""
    return "pending" if now_ms < settings.opens_at_ms else "done"
