"""Which Redis servers the integration tests use, and how they clean up after themselves.

``make services`` (scripts/services.sh) starts them and prints the settings; without those
settings the tests use the same loopback addresses. A server that does not answer fails the
tests: they never skip.
"""

from __future__ import annotations

import os
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager

import pytest
import redis
import redis.cluster

from adapters.redis import RedisHotState, open_redis_hot_state
from adapters.redis.client import RedisClient
from adapters.redis.keys import EVENTS_KEY, KEY_NAMES, event_key
from ticketing_core.testing import HotState

STANDALONE = ("TICKETING_REDIS_URL", "redis://127.0.0.1:16379/0")
CLUSTER = ("TICKETING_TEST_REDIS_CLUSTER_URL", "redis://127.0.0.1:17001/0")

TEST_EVENT_ID = re.compile(r"^(h|it)-[0-9a-f]{12}$")
"""Ids of events the tests create: the harness's ``h-<hex>`` and these tests' ``it-<hex>``."""


def url_of(server: tuple[str, str]) -> str:
    variable, default = server
    return os.environ.get(variable) or default


def require(server: tuple[str, str], cluster: bool) -> str:
    """The server's URL, after checking that it answers; fails the test loudly if not."""
    url = url_of(server)
    client = redis.cluster.RedisCluster.from_url(url) if cluster else redis.Redis.from_url(url)
    try:
        client.ping()
    except redis.RedisError as error:
        pytest.fail(
            f"no Redis{' Cluster' if cluster else ''} answers at {url} ({error}). Start it with "
            f"`make services` (or set {server[0]} to a running server).",
            pytrace=False,
        )
    finally:
        client.close()
    return url


async def open_standalone() -> RedisHotState:
    return await open_redis_hot_state(url_of(STANDALONE), cluster=False)


async def open_cluster() -> RedisHotState:
    return await open_redis_hot_state(url_of(CLUSTER), cluster=True)


def as_harness_state(state: RedisHotState) -> HotState:
    return HotState(state.catalog, state.queue, state.stock, state.outbox, state.close)


async def forget_test_events(state: RedisHotState) -> None:
    """Deletes every key of the events the tests created (each has its own id)."""
    test_events = [e for e in await state.catalog.event_ids() if TEST_EVENT_ID.match(e)]
    await forget_events(state.client, test_events)


async def forget_events(client: RedisClient, event_ids: Iterable[str]) -> None:
    """Redis loses everything it knew about these events (keys and registry entry)."""
    for event_id in event_ids:
        await client.delete(*(event_key(event_id, name) for name in KEY_NAMES))
        await client.zrem(EVENTS_KEY, event_id)


Opener = Callable[[], Awaitable[RedisHotState]]


@asynccontextmanager
async def instances(open_one: Opener, count: int) -> AsyncIterator[list[RedisHotState]]:
    """``count`` independent API instances' hot state: each its own client and pool."""
    async with AsyncExitStack() as stack:
        states = []
        for _ in range(count):
            state = await open_one()
            stack.push_async_callback(state.close)
            states.append(state)
        yield states


def new_event_id() -> str:
    return f"it-{uuid.uuid4().hex[:12]}"
