"""Checks an event's hot state in Redis against PostgreSQL and, if asked, rebuilds it.

PostgreSQL is the durable record, so it is the reference: the seats its reservations hold
(PENDING, CONFIRMED) and the rest on sale. The comparison means something only once the
stream is drained, i.e. every change recorded in Redis has reached PostgreSQL: the Redis
outbox is empty (checked here) and the workers have no lag (the operator's to check, with
the consumer-lag metric). A repair is refused while the outbox still holds messages, since
PostgreSQL would then be behind Redis and the repair would undo sales.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing_adapters.redis.catalog import read_codes
from ticketing_adapters.redis.restore import outbox_backlog, restore_event
from ticketing_adapters.redis.stock import read_stock
from ticketing_core.clock import SystemClock
from ticketing_core.errors import EventNotFound
from ticketing_core.model import StockStats
from ticketing_entrypoints.ops import StoredState


class NotDrained(Exception):
    """The event's outbox still holds messages PostgreSQL has not seen: no repair now."""


@dataclass(frozen=True, slots=True)
class Reconciliation:
    event_id: str
    expected: StockStats
    """What PostgreSQL's reservations imply."""
    found: StockStats | None
    """Redis's stock counters; None when the event is missing from Redis."""
    outbox_backlog: int
    expected_code_uses: dict[str, int] = field(default_factory=dict)
    """Each access code's uses (by its listed id) as PostgreSQL recorded them."""
    found_code_uses: dict[str, int] = field(default_factory=dict)
    """... and as Redis counts them."""

    @property
    def drift(self) -> list[str]:
        """Each difference, in words; empty when Redis agrees with PostgreSQL."""
        if self.found is None:
            return ["the event is missing from Redis"]
        pairs = {
            "remaining": (self.found.remaining, self.expected.remaining),
            "pending": (self.found.pending_seats, self.expected.pending_seats),
            "confirmed": (self.found.confirmed_seats, self.expected.confirmed_seats),
        }
        for found, expected in zip(self.found.categories, self.expected.categories, strict=True):
            pairs |= {
                f"{expected.category_id} remaining": (found.remaining, expected.remaining),
                f"{expected.category_id} pending": (found.pending_seats, expected.pending_seats),
                f"{expected.category_id} confirmed": (
                    found.confirmed_seats,
                    expected.confirmed_seats,
                ),
            }
        drift = [
            f"{name} seats: Redis {redis}, PostgreSQL {postgres}"
            for name, (redis, postgres) in pairs.items()
            if redis != postgres
        ]
        for code_id in {**self.expected_code_uses, **self.found_code_uses}:
            recorded = self.expected_code_uses.get(code_id, "no such code")
            counted = self.found_code_uses.get(code_id, "no such code")
            if counted != recorded:
                drift.append(f"uses of code {code_id}: Redis {counted}, PostgreSQL {recorded}")
        return drift


async def reconcile(
    event_id: str, stored: StoredState, *, repair: bool
) -> tuple[Reconciliation, Reconciliation | None]:
    """The event as found, and (when ``repair`` and it drifted) as found after the repair.

    Raises ``EventNotFound`` when PostgreSQL does not know the event and ``NotDrained`` when
    a repair is asked for while the outbox is not empty.
    """
    client, repository = stored.redis, stored.record
    settings = await repository.event(event_id)
    if settings is None:
        raise EventNotFound(f"PostgreSQL has no event {event_id!r}")
    seats = await repository.seats_by_status(event_id)
    category_seats = await repository.category_seats_by_status(event_id)
    expected = StockStats.implied_by(settings, seats, category_seats)

    codes = await repository.codes_of(event_id)
    expected_uses = {c.code.code_id: c.uses for c in codes}

    async def look() -> Reconciliation:
        found = await read_stock(client, settings)
        backlog = await outbox_backlog(client, event_id)
        found_uses = {c.code.code_id: c.uses for c in await read_codes(client, event_id)}
        return Reconciliation(event_id, expected, found, backlog, expected_uses, found_uses)

    before = await look()
    if not (repair and before.drift):
        return before, None
    if before.outbox_backlog:
        raise NotDrained(f"{before.outbox_backlog} messages of {event_id} are not relayed yet")
    reservations = await repository.reservations_of(event_id)
    await restore_event(client, settings, reservations, SystemClock().now_ms(), codes)
    return before, await look()
