"""Redis SIGKILLed under a reserve crowd and restarted by the project's script, or paused with
SIGSTOP for ten seconds: no hold the API answered 202 is lost or doubled, every waiting buyer
keeps the place they had, the seats add up, no request is answered 500, and nothing needs a
restart or a reconcile."""

from __future__ import annotations

import asyncio
import signal
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.faults import Record, crowd_through
from tests.e2e.support import Stack, running_stack
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.waiting import eventually
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

UNAVAILABLE_ANSWERS_DURING_THE_OUTAGE = 20
PAUSE_SECONDS = 10.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "services") as server:
        yield server


@pytest.fixture
async def stack_on_own_redis(
    process_settings: Settings, own_redis: PrivateRedis, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running_stack(process_settings, own_redis.url, tmp_path) as stack:
        yield stack


async def test_a_redis_crash_loses_no_acknowledged_hold_and_no_place_in_the_queue(
    stack_on_own_redis: Stack, own_redis: PrivateRedis
) -> None:
    async def crash_and_restart(record: Record) -> None:
        own_redis.signal(signal.SIGKILL)
        await eventually(
            lambda: record.statuses[503] >= UNAVAILABLE_ANSWERS_DURING_THE_OUTAGE,
            within=60,
            what="the API answering 503 while Redis is down",
        )
        await asyncio.to_thread(own_redis.up)

    await crowd_through(stack_on_own_redis, crash_and_restart)


async def test_a_redis_paused_for_ten_seconds_loses_and_duplicates_nothing(
    stack_on_own_redis: Stack, own_redis: PrivateRedis
) -> None:
    async def pause(_: Record) -> None:
        own_redis.signal(signal.SIGSTOP)
        try:
            await asyncio.sleep(PAUSE_SECONDS)  # the fault's length, not a wait for a state
        finally:
            own_redis.signal(signal.SIGCONT)

    await crowd_through(stack_on_own_redis, pause)
