"""The outbox stream hands every entry out until a relay acknowledges it: to the same relay
again when its publish failed, to another relay when the first one died."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_adapters.redis import RedisHotState, RedisOutbox
from ticketing_adapters.redis.keys import event_key
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core import EventSettings, MessageType, ReservationMessage
from ticketing_core.clock import to_datetime

pytestmark = pytest.mark.anyio

NOW_MS = 1_800_000_000_000


async def sale_with_three_changes(state: RedisHotState) -> tuple[str, list[ReservationMessage]]:
    """An event whose outbox holds: two reservations created, then the first one confirmed."""
    settings = EventSettings(
        event_id=new_event_id(), name="outbox", total_seats=10, opens_at=to_datetime(NOW_MS)
    )
    await state.catalog.add(settings, NOW_MS)
    for user in ("ann", "bob"):
        await state.queue.enter(settings, user, NOW_MS)
    await state.queue.admit(settings, NOW_MS)
    first = await state.stock.reserve(settings, "ann", 1, "r-1", None, NOW_MS)
    second = await state.stock.reserve(settings, "bob", 1, "r-2", None, NOW_MS)
    confirmed = await state.stock.confirm(settings, "ann", "r-1", NOW_MS + 1)
    return settings.event_id, [ReservationMessage.of(r) for r in (first, second, confirmed)]


async def test_a_relay_that_did_not_acknowledge_gets_the_same_entries_again(
    open_instance: Opener,
) -> None:
    async with instances(open_instance, 1) as (state,):
        event_id, changes = await sale_with_three_changes(state)

        taken = await state.outbox.claim(event_id, "relay-a", 100)
        again = await state.outbox.claim(event_id, "relay-a", 100)
        await state.outbox.acknowledge(event_id, [e.entry_id for e in again])
        after = await state.outbox.claim(event_id, "relay-a", 100)
        left = await state.client.xlen(event_key(event_id, "outbox"))

    assert [e.message for e in taken] == changes, "every change, oldest first"
    assert [e.message.type for e in taken] == [
        MessageType.CREATED,
        MessageType.CREATED,
        MessageType.CONFIRMED,
    ]
    assert again == taken
    assert (after, left) == ([], 0), "acknowledged entries are gone"


RECLAIM_IDLE_MS = 2_000


async def test_entries_of_a_relay_that_died_are_taken_over_once_idle_long_enough(
    open_instance: Opener,
) -> None:
    async with instances(open_instance, 1) as (state,):
        event_id, changes = await sale_with_three_changes(state)
        # Two seconds: the first claims below must fall inside it even on a machine that
        # stalls for a second.
        other = RedisOutbox(Scripts(state.client), reclaim_idle_ms=RECLAIM_IDLE_MS)

        dead = await state.outbox.claim(event_id, "relay-a", 2)  # then it dies
        too_soon = await other.claim(event_id, "relay-b", 100)
        # A duration, not a wait for state: Redis counts the idle time itself, and a longer
        # sleep (a slow machine) only leaves the entries idler.
        await asyncio.sleep(RECLAIM_IDLE_MS / 1000 + 0.3)
        taken_over = await other.claim(event_id, "relay-b", 100)
        await other.acknowledge(event_id, [e.entry_id for e in taken_over])
        later = await state.outbox.claim(event_id, "relay-a", 100)

    assert [e.message for e in dead] == changes[:2]
    assert [e.message for e in too_soon] == changes[2:], "only the entry nobody had taken"
    assert [e.message for e in taken_over] == changes, "its own first, then the dead relay's"
    assert later == []
