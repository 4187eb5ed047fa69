"""A finished sale leaves Redis once PostgreSQL holds all of it (``ticketing archive``).

Redis keeps every sale's hot state until told otherwise. Archiving deletes the event's keys in
one script, only while nothing is left to happen in it (nobody waiting or admitted, no seat
held, every message relayed), and only when PostgreSQL agrees with Redis. The sale then leaves
the catalog (the listing, the background drivers); its reservations stay readable by their
owners from PostgreSQL, and ``ticketing reconcile --repair`` brings it back if need be.
"""

from __future__ import annotations

from ticketing_adapters.redis.keys import EVENTS_KEY
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.clock import SystemClock
from ticketing_entrypoints.ops import StoredState
from ticketing_entrypoints.ops.reconcile import reconcile


class NotArchived(Exception):
    """The sale cannot leave Redis yet; the message says why."""


async def archive(event_id: str, stored: StoredState) -> None:
    """Forgets the event in Redis; raises ``NotArchived`` (nothing deleted) when it may not,
    and ``EventNotFound`` when PostgreSQL does not know it."""
    state, _ = await reconcile(event_id, stored, repair=False)
    if state.found is None:
        raise NotArchived(f"Redis does not hold {event_id} (archived already?)")
    if state.outbox_backlog:
        raise NotArchived(f"{state.outbox_backlog} messages of {event_id} are not relayed yet")
    if state.drift:
        raise NotArchived(f"PostgreSQL does not agree with Redis: {'; '.join(state.drift)}")
    scripts = Scripts(stored.redis)
    await scripts.load()
    forgotten, waiting, admitted, held, unrelayed = await scripts.run(
        "archive", event_id, SystemClock().now_ms()
    )
    if not forgotten:
        raise NotArchived(
            f"the sale {event_id} is not over: {waiting} waiting, {admitted} admitted, "
            f"{held} seats held, {unrelayed} messages not relayed"
        )
    # The registry lies outside the event's hash tag: its own command, after the script.
    await stored.redis.zrem(EVENTS_KEY, event_id)
