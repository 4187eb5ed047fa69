"""Request budgets and spent challenges in Redis, shared by every instance on the server.

A bucket is one string key checked by one script (``lua/spend_budget.lua``); a spent challenge
is one ``SET NX`` with an expiry. Neither belongs to an event's hash tag: a budget is a
client's, over every event, so buckets spread over a Cluster's slots by their own names.
"""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.pipelined import PipelinedConnection
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.budgets import Budget

BUDGET_PREFIX = "ticketing:budget:"
SPENT_PREFIX = "ticketing:spent:"


class RedisRequestBudgets:
    """On a standalone server every bucket of a request is checked in one script call; on a
    Cluster, whose scripts may touch only one slot, each in its own, in order: a bucket passed
    is then spent even when a later one refuses, and the wait is the refusing bucket's."""

    def __init__(self, scripts: Scripts, *, cluster: bool) -> None:
        self._scripts = scripts
        self._cluster = cluster

    async def spend(self, buckets: Sequence[tuple[str, Budget]]) -> tuple[int, int]:
        if not self._cluster:
            return await self._spend(buckets, first=0)
        for index, bucket in enumerate(buckets):
            refused = await self._spend([bucket], first=index)
            if refused[1]:
                return refused
        return 0, 0

    async def _spend(self, buckets: Sequence[tuple[str, Budget]], first: int) -> tuple[int, int]:
        keys = [BUDGET_PREFIX + name for name, _ in buckets]
        arguments = [n for _, b in buckets for n in (b.interval_us, b.tolerance_us)]
        number, wait = await self._scripts.run_on("spend_budget", keys, *arguments)
        return (first + int(number) - 1, int(wait)) if number else (0, 0)


class RedisSpentChallenges:
    def __init__(self, client: RedisClient, pipelined: PipelinedConnection | None) -> None:
        self._client = client
        self._pipelined = pipelined

    async def spend(self, event_id: str, challenge_id: str, valid_for_ms: int) -> bool:
        # The event's hash tag: on Cluster, a sale's spent challenges sit beside its keys.
        key = f"{SPENT_PREFIX}{{{event_id}}}:{challenge_id}"
        ttl = max(1, valid_for_ms)
        if self._pipelined is not None:
            answer = await self._pipelined.execute("SET", key, "1", "NX", "PX", ttl)
        else:
            answer = await self._client.set(key, "1", nx=True, px=ttl)
        return answer is not None and answer is not False
