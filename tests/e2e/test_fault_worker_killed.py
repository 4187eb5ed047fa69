"""The worker process killed with SIGKILL while buyers keep buying over HTTP, then started
again: every 202 reaches PostgreSQL exactly once, and no seat is oversold."""

from __future__ import annotations

import asyncio
import signal

import pytest

from tests.e2e.support import (
    LARGE_SALE_SEATS,
    Shop,
    Stack,
    assert_seats_add_up,
    buying_crowd,
    settle,
    stored,
)
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio


async def test_a_worker_killed_mid_stream_and_restarted_loses_and_doubles_nothing(
    stack: Stack, shop: Shop
) -> None:
    async with buying_crowd(shop, "worker-killed") as crowd:
        event_id = crowd.event_id

        async def some_stored() -> bool:
            return len(await stored(stack.record, event_id)) >= 100

        await eventually(some_stored, within=60, every=0.05)
        worker = stack.processes["worker-0"]
        worker.kill()
        assert await asyncio.to_thread(worker.wait, 10) == -signal.SIGKILL
        holds_at_kill = crowd.holds
        await crowd.until_holds(holds_at_kill + 100)
        stored_without_worker = len(await stored(stack.record, event_id))

        stack.start_worker()
        await crowd.until_holds(holds_at_kill + 200)

    assert not crowd.refusals
    assert stored_without_worker <= holds_at_kill, "nothing was stored while no worker ran"
    rows = await settle(stack, event_id, crowd.acknowledged)
    await assert_seats_add_up(stack, shop, event_id, LARGE_SALE_SEATS, rows.values())
