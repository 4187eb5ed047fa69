"""Which Redis servers the tests use, and how they clean up after themselves.

``make services`` (scripts/services.sh) starts them and prints the settings; without those
settings the tests use the same loopback addresses (``TICKETING_TEST_SERVICES=containers``
sets them instead: ``tests/support/services.py``). A server that does not answer fails the
tests: they never skip.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import threading
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from contextlib import AsyncExitStack, asynccontextmanager, contextmanager
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis
import redis.cluster

from tests.support.services import (
    CONTAINERS,
    MODE_VARIABLE,
    REDIS_CLUSTER_URL,
    REDIS_URL,
    services_mode,
)
from ticketing_adapters.redis import RedisHotState, open_redis_hot_state
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import EVENTS_KEY, KEY_NAMES, event_key
from ticketing_core.testing import HotState

STANDALONE = (REDIS_URL, "redis://127.0.0.1:16379/0")
CLUSTER = (REDIS_CLUSTER_URL, "redis://127.0.0.1:17001/0")

TEST_EVENT_ID = re.compile(r"^(h|it)-[0-9a-f]{12}$")
"""Ids of events the tests create: the harness's ``h-<hex>`` and these tests' ``it-<hex>``."""


def url_of(server: tuple[str, str]) -> str:
    """The server's URL from the environment; else scripts/services.sh's loopback address, or,
    with the services in containers, a loud failure: no container provides a Redis Cluster."""
    variable, default = server
    url = os.environ.get(variable)
    if url:
        return url
    if services_mode(os.environ) == CONTAINERS:
        pytest.fail(
            f"{variable} is not set, and {MODE_VARIABLE}={CONTAINERS} starts no Redis Cluster "
            f"(testcontainers has none): set {variable} to a running cluster, or run these tests "
            "on scripts/services.sh (`make services`)",
            pytrace=False,
        )
    return default


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


def forget_test_events_on(opener: Opener) -> None:
    """Blocking: ``forget_test_events`` on the server ``opener`` opens (at a session's end)."""

    async def run() -> None:
        state = await opener()
        try:
            await forget_test_events(state)
        finally:
            await state.close()

    asyncio.run(run())


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


LEASE_KEY = "ticketing:test-lease"
"""Set in a database while a test run holds it; it expires unless renewed (the run died)."""
TEST_DATABASE_KEY = "ticketing:test-database"
"""Set for good in every database the tests ever leased: only those are ever emptied."""
LEASE_SECONDS = 30
RENEW_SECONDS = 5
LEASABLE = range(1, 16)
"""Never database 0, where deployments (``make run-stack``) keep their data by default."""


@contextmanager
def leased_database(url: str) -> Iterator[str]:
    """The URL of a database of the Redis server at ``url`` that this test run holds alone,
    empty; emptied again afterwards.

    Every API instance relays the outbox of every event in its Redis database to its own bus.
    An app with drivers running on a database shared with a deployment or another test run
    would take their messages (and they its). So such tests lease a database of their own:
    one of 1..15 that no run holds now, and that is empty or was a test database before (a
    database holding someone else's data is left alone). A thread renews the lease while it
    is held, so that the lease of a run that was killed lapses within ``LEASE_SECONDS``.
    """
    owner = f"{os.getpid()}-{uuid.uuid4().hex[:8]}"
    for number in random.sample(LEASABLE, len(LEASABLE)):
        leased = urlunsplit(urlsplit(url)._replace(path=f"/{number}"))
        client = redis.Redis.from_url(leased)
        try:
            if not client.set(LEASE_KEY, owner, nx=True, ex=LEASE_SECONDS):
                continue
            if client.dbsize() > 1 and not client.exists(TEST_DATABASE_KEY):
                client.delete(LEASE_KEY)
                continue
            client.set(TEST_DATABASE_KEY, "1")
            _empty(client)
            done = threading.Event()
            renewer = threading.Thread(
                target=_renew, args=(client, done), name="redis-lease", daemon=True
            )
            renewer.start()
            try:
                yield leased
            finally:
                done.set()
                renewer.join()
                _empty(client)
                client.delete(LEASE_KEY)
            return
        finally:
            client.close()
    pytest.fail(f"no Redis database of {url} is free for this test run (all of {LEASABLE} held)")


def _renew(client: redis.Redis, done: threading.Event) -> None:
    while not done.wait(RENEW_SECONDS):
        client.expire(LEASE_KEY, LEASE_SECONDS)


def _empty(client: redis.Redis) -> None:
    """Deletes every key but the lease and the test-database mark."""
    keep = {LEASE_KEY, TEST_DATABASE_KEY}
    doomed = [key for key in client.scan_iter(count=1_000) if key.decode() not in keep]
    for start in range(0, len(doomed), 1_000):
        client.delete(*doomed[start : start + 1_000])
