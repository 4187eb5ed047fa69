"""The Kafka broker stopped for ten seconds while buyers buy over HTTP, then started again:
the API keeps answering 202 (the outbox in Redis keeps the messages), readiness names Kafka
while it is down, and every 202 reaches PostgreSQL exactly once.

This stops and starts the shared broker of ``scripts/services.sh``: other tests using Kafka
at the same moment see the outage too.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest

from tests.e2e.support import (
    LARGE_SALE_SEATS,
    Shop,
    Stack,
    assert_seats_add_up,
    buying_crowd,
    settle,
)
from tests.support.stack import services
from tests.support.waiting import eventually
from ticketing_adapters.redis.restore import outbox_backlog

pytestmark = pytest.mark.anyio

OUTAGE_SECONDS = 10


async def readiness(api: httpx.AsyncClient) -> tuple[int, dict[str, str]]:
    response = await api.get("/health/ready")
    dependencies: dict[str, str] = response.json()["dependencies"]
    return response.status_code, dependencies


async def test_a_ten_second_broker_outage_under_http_load_loses_nothing(
    stack: Stack, shop: Shop
) -> None:
    async def kafka_reported(state: str) -> bool:
        return (await readiness(shop.api))[1]["kafka"] == state

    async with buying_crowd(shop, "kafka-down") as crowd:
        event_id = crowd.event_id
        try:
            await crowd.until_holds(100)
            await asyncio.to_thread(services, "down", "kafka")
            outage_started, holds_before = time.monotonic(), crowd.holds
            await eventually(lambda: kafka_reported("down"), within=30)
            during_outage = await readiness(shop.api)
            # The fault's duration, not a wait for state: the broker stays down for the rest of
            # the outage (none is left if readiness took longer to report it).
            await asyncio.sleep(OUTAGE_SECONDS - (time.monotonic() - outage_started))
            holds_during = crowd.holds - holds_before
            backlog_during = await outbox_backlog(stack.redis, event_id)
            await asyncio.to_thread(services, "up", "kafka")
            await eventually(lambda: kafka_reported("up"), within=60)
            await crowd.until_holds(crowd.holds + 100)
        finally:
            # Whatever happened, leave the broker running.
            await asyncio.to_thread(services, "up", "kafka")

    assert during_outage == (503, {"redis": "up", "postgres": "up", "kafka": "down"})
    assert holds_during > 0, "buyers got holds while Kafka was down"
    assert backlog_during > 0, "the outbox kept what could not be published"
    assert not crowd.refusals
    rows = await settle(stack, event_id, crowd.acknowledged, within=180)
    await assert_seats_add_up(stack, shop, event_id, LARGE_SALE_SEATS, rows.values())
