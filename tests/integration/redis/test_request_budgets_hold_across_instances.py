"""Request budgets and spent challenges in Redis, standalone and Cluster: two instances (two
clients) share every bucket, the rule is ``ticketing_core.budgets.spend``'s, and a refused
request spends nothing of the buckets it named (standalone: one script for them all)."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis import asyncio as redis

from tests.support.redis_servers import Opener, instances, leased_database, open_standalone
from ticketing_core.budgets import Budget
from ticketing_entrypoints.backends import open_backends
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

SLOW = Budget(per_second=0.01, burst=5)
"""Refills one request in 100 s: nothing comes back while a test runs."""


def bucket(name: str) -> str:
    return f"test:{name}:{uuid.uuid4().hex}"


async def test_two_instances_together_get_one_burst(open_instance: Opener) -> None:
    async with instances(open_instance, 2) as (first, second):
        shared = bucket("shared")
        answers = await asyncio.gather(
            *(
                (first if n % 2 else second).budgets.spend([(shared, SLOW)])
                for n in range(3 * SLOW.burst)
            )
        )
    passed = [answer for answer in answers if answer == (0, 0)]
    assert len(passed) == SLOW.burst, answers
    refused = [answer for answer in answers if answer != (0, 0)]
    assert all(index == 0 and wait > 90_000_000 for index, wait in refused), refused


async def test_a_refusal_names_the_bucket_without_room(open_instance: Opener) -> None:
    async with instances(open_instance, 1) as (state,):
        address, user = bucket("address"), bucket("user")
        for _ in range(SLOW.burst):
            assert await state.budgets.spend([(user, SLOW)]) == (0, 0)
        index, wait = await state.budgets.spend([(address, SLOW), (user, SLOW)])
        assert index == 1
        assert wait > 0


async def test_a_refused_request_spends_nothing_on_a_standalone_server(redis_url: str) -> None:
    """(On a Cluster each bucket is its own script, ADR 0016: the address's is spent first.)"""
    async with instances(open_standalone, 1) as (state,):
        address, user = bucket("address"), bucket("user")
        for _ in range(SLOW.burst):
            assert await state.budgets.spend([(user, SLOW)]) == (0, 0)
        for _ in range(3):
            assert (await state.budgets.spend([(address, SLOW), (user, SLOW)]))[0] == 1
        for _ in range(SLOW.burst):
            assert await state.budgets.spend([(address, SLOW)]) == (0, 0), "nothing was spent"


async def test_a_challenge_is_spent_once_over_all_instances(open_instance: Opener) -> None:
    async with instances(open_instance, 2) as (first, second):
        challenge = uuid.uuid4().hex
        spent = await asyncio.gather(
            *(
                (first, second)[n % 2].spent_challenges.spend("show", challenge, 60_000)
                for n in range(6)
            )
        )
    assert sorted(spent) == [False] * 5 + [True]


async def test_budgets_may_live_on_a_redis_of_their_own(redis_url: str) -> None:
    """``TICKETING_LIMITS_REDIS_URL``: the budgets on another server (here another database),
    which is no readiness dependency (they fail open); the hot state stays where it was."""
    with leased_database(redis_url) as hot_url, leased_database(redis_url) as limits_url:
        settings = Settings(
            redis_url=hot_url, limits_redis_url=limits_url, kafka_bootstrap=None, database_url=None
        )
        backends = open_backends(settings)
        opened = await anext(backends)
        try:
            shared = bucket("own")
            assert await opened.budgets.spend([(shared, SLOW)]) == (0, 0)
            assert set(opened.probes) == {"redis"}
        finally:
            await backends.aclose()
        own = redis.Redis.from_url(limits_url)
        hot = redis.Redis.from_url(hot_url)
        try:
            assert await own.exists(f"ticketing:budget:{shared}") == 1
            assert await hot.exists(f"ticketing:budget:{shared}") == 0
        finally:
            await own.aclose()
            await hot.aclose()
