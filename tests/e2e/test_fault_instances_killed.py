"""PostgreSQL, or one of two API instances, SIGKILLed under a reserve crowd: no hold answered
202 is lost or doubled (the survivor relays the claimed outbox entries of the one that died),
every waiting place is kept, the seats add up, and no request is answered 500."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess

import httpx
import pytest

from tests.e2e.faults import Record, crowd_through
from tests.e2e.support import Stack, wait_ready
from tests.support.stack import SERVICES, services
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

STORED_BEHIND_WITHIN = 60.0


def pid_of(service: str) -> int:
    found = subprocess.run(
        [str(SERVICES), "pid", service], check=False, capture_output=True, text=True
    )
    assert found.returncode == 0, f"services.sh pid {service}: {found.stderr}"
    return int(found.stdout.strip())


async def test_postgresql_killed_and_restarted_loses_and_doubles_nothing(stack: Stack) -> None:
    async def kill_postgres(record: Record) -> None:
        os.kill(pid_of("postgres"), signal.SIGKILL)
        holds_at_kill = len(record.acknowledged)
        # Buyers go on buying from Redis while the record is down.
        await eventually(
            lambda: len(record.acknowledged) >= holds_at_kill + 50,
            within=STORED_BEHIND_WITHIN,
            what="holds while PostgreSQL is down",
        )
        await asyncio.to_thread(services, "up", "postgres")

    await crowd_through(stack, kill_postgres)


async def test_one_of_two_api_instances_killed_loses_and_doubles_nothing(stack: Stack) -> None:
    second = stack.start_api("api-2")
    await wait_ready(stack, "api-2")

    async def kill_the_second_instance(_: Record) -> None:
        os.killpg(second.pid, signal.SIGKILL)
        await asyncio.to_thread(second.wait)

    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(
        base_url=stack.api_urls["api-2"], limits=limits, timeout=30
    ) as other:
        record = await crowd_through(stack, kill_the_second_instance, also_on=[other])

    assert record.statuses[0] > 0, "the crowd was using the killed instance"
