"""Scripts are loaded once and run by SHA; a server that lost them (a restart, a failover,
SCRIPT FLUSH) gets them again on first use."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_adapters.redis.scripts import script_source
from ticketing_core import EventSettings, QueueStatus
from ticketing_core.clock import to_datetime

pytestmark = pytest.mark.anyio

NOW_MS = 1_800_000_000_000


async def test_operations_still_work_after_the_server_forgot_every_script(
    open_instance: Opener,
) -> None:
    async with instances(open_instance, 1) as (state,):
        await state.client.script_flush()

        settings = EventSettings(
            event_id=new_event_id(), name="flushed", total_seats=5, opens_at=to_datetime(NOW_MS)
        )
        await state.catalog.add(settings, NOW_MS)
        view = await state.queue.enter(settings, "buyer-1", NOW_MS)

        enter_sha = hashlib.sha1(script_source("enter").encode()).hexdigest()
        loaded = await state.client.script_exists(enter_sha)
    assert (view.status, view.position) == (QueueStatus.WAITING, 1)
    assert all(loaded), "the script is back in the server's cache"
