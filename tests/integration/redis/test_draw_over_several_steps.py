"""A pre-queue drawn over several admission steps (``admit.lua``, a few entrants a step, so
that no step holds Redis for long): buyers who leave or enter between the steps change
nothing of the others' order, and the line ends up numbered as if drawn at once. On the
standalone server and on the Cluster."""

from __future__ import annotations

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_adapters.redis.queue import RedisQueueStore
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core import EventSettings
from ticketing_core.clock import to_datetime
from ticketing_core.draw import drawn_order
from ticketing_core.messages import DrawMessage
from ticketing_core.model import QueueStatus

pytestmark = pytest.mark.anyio

OPENS_MS = 1_800_000_000_000
SEED = "0123456789abcdef" * 4
EARLY = [f"early-{n}" for n in range(10)]


async def test_a_draw_in_steps_keeps_the_drawn_order_of_those_still_there(
    open_instance: Opener,
) -> None:
    settings = EventSettings(
        event_id=new_event_id(),
        name="drawn in steps",
        total_seats=100,
        opens_at=to_datetime(OPENS_MS),
        admission_rate_per_second=1,
        draw_at_opening=True,
        draw_seed=SEED,
    )
    async with instances(open_instance, 1) as (state,):
        scripts = Scripts(state.client, state.pipelined)
        await scripts.load()
        queue = RedisQueueStore(scripts, draw_part=3)
        await state.catalog.add(settings, OPENS_MS - 1_000)
        for user in EARLY:
            await queue.enter(settings, user, OPENS_MS - 500)

        drawn = drawn_order(SEED, EARLY)
        gone = {"early-4"}
        steps = []
        report = await queue.admit(settings, OPENS_MS)
        while report.drawing:
            steps.append(report)
            if len(steps) == 2:  # keyed some, not all: one leaves, one comes after the opening
                await queue.leave(settings, "early-4", OPENS_MS)
                await queue.enter(settings, "late", OPENS_MS - 100)  # a clock behind: too late
            if len(steps) == 6:  # keyed all, placed six: a placed one and an unplaced one go
                still_there = [u for u in drawn if u not in gone]
                placed, unplaced = still_there[0], still_there[-1]
                gone |= {placed, unplaced}
                await queue.leave(settings, placed, OPENS_MS)
                await queue.leave(settings, unplaced, OPENS_MS)
            report = await queue.admit(settings, OPENS_MS)

        assert len(steps) >= 6, "keyed and placed a few at a time"
        assert all(step.admitted == () for step in steps), "nobody admitted mid-draw"
        order = [user for user in drawn if user not in gone]
        assert report.admitted == (order[0],), "then the first drawn, at one a second"
        views = [await queue.status(settings, user, OPENS_MS) for user in [*order[1:], "late"]]
        assert [view.position for view in views] == list(range(1, len(order) + 1))
        snapshot = await queue.snapshot(settings, OPENS_MS)
        assert not snapshot.draw_pending
        assert [snapshot.position_of(view.seq) for view in views] == list(range(1, len(order) + 1))
        assert (await queue.status(settings, order[0], OPENS_MS)).status is QueueStatus.ADMITTED

        entries = await state.outbox.claim(settings.event_id, "test", 100)
        parts = sorted(
            (e.message for e in entries if isinstance(e.message, DrawMessage)),
            key=lambda part: part.part,
        )
        recorded = [user for part in parts for user in part.users]
        assert recorded == [u for u in drawn if u not in {"early-4", unplaced}], (
            "the record holds who was drawn, also one who left once placed"
        )
        assert [part.part for part in parts] == list(range(1, parts[0].parts + 1))
