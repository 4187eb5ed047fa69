"""Request budgets and spent challenges in Redis, shared by every instance on the server.

A bucket is one string key checked by one script (``lua/spend_budget.lua``); a spent challenge
is one ``SET NX`` with an expiry. Neither belongs to an event's hash tag: a budget is a
client's, over every event, so buckets spread over a Cluster's slots by their own names.
"""

from __future__ import annotations

from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.pipelined import PipelinedConnection
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.budgets import Budget

BUDGET_PREFIX = "ticketing:budget:"
SPENT_PREFIX = "ticketing:spent:"


class RedisRequestBudgets:
    def __init__(self, scripts: Scripts) -> None:
        self._scripts = scripts

    async def spend(self, bucket: str, budget: Budget) -> int:
        wait: int = await self._scripts.run_on(
            "spend_budget", [BUDGET_PREFIX + bucket], budget.interval_us, budget.tolerance_us
        )
        return wait


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
