"""Opens the Redis adapters on one client: what the composition root calls."""

from __future__ import annotations

from dataclasses import dataclass

from ticketing_adapters.redis.budgets import RedisRequestBudgets, RedisSpentChallenges
from ticketing_adapters.redis.catalog import RedisEventCatalog
from ticketing_adapters.redis.client import MAX_CONNECTIONS, WAIT_SECONDS, RedisClient, open_client
from ticketing_adapters.redis.outbox import RedisOutbox
from ticketing_adapters.redis.pipelined import PipelinedConnection
from ticketing_adapters.redis.pipelined import serves as pipelined_serves
from ticketing_adapters.redis.queue import RedisQueueStore
from ticketing_adapters.redis.scripts import Scripts
from ticketing_adapters.redis.stock import RedisStockStore


@dataclass(frozen=True, slots=True)
class RedisHotState:
    """The hot-state ports on one Redis client (its own connection pool), plus, on a
    standalone server, the pipelined connection the scripts run on."""

    catalog: RedisEventCatalog
    queue: RedisQueueStore
    stock: RedisStockStore
    outbox: RedisOutbox
    budgets: RedisRequestBudgets
    spent_challenges: RedisSpentChallenges
    client: RedisClient
    pipelined: PipelinedConnection | None = None

    async def ping(self) -> None:
        """Returns when Redis answers (a health probe); raises when it does not."""
        await self.client.ping()

    async def close(self) -> None:
        if self.pipelined is not None:
            await self.pipelined.close()
        await self.client.aclose()


@dataclass(frozen=True, slots=True)
class RedisBudgetsOnly:
    """Request budgets on a Redis of their own (``TICKETING_LIMITS_REDIS_URL``)."""

    budgets: RedisRequestBudgets
    client: RedisClient
    pipelined: PipelinedConnection | None

    async def close(self) -> None:
        if self.pipelined is not None:
            await self.pipelined.close()
        await self.client.aclose()


async def open_redis_budgets(url: str, cluster: bool = False) -> RedisBudgetsOnly:
    """Connects to the Redis of the request budgets at ``url`` and loads the scripts."""
    client, pipelined, scripts = await _connected(url, cluster, MAX_CONNECTIONS)
    return RedisBudgetsOnly(RedisRequestBudgets(scripts, cluster=cluster), client, pipelined)


async def open_redis_hot_state(
    url: str, cluster: bool = False, max_connections: int = MAX_CONNECTIONS
) -> RedisHotState:
    """Connects to Redis at ``url`` (a Cluster when ``cluster``) and loads the scripts.

    Raises redis-py's ``ConnectionError`` when the server cannot be reached.
    """
    client, pipelined, scripts = await _connected(url, cluster, max_connections)
    return RedisHotState(
        catalog=RedisEventCatalog(client, scripts),
        queue=RedisQueueStore(scripts),
        stock=RedisStockStore(client, scripts),
        outbox=RedisOutbox(scripts),
        budgets=RedisRequestBudgets(scripts, cluster=cluster),
        spent_challenges=RedisSpentChallenges(client, pipelined),
        client=client,
        pipelined=pipelined,
    )


async def _connected(
    url: str, cluster: bool, max_connections: int
) -> tuple[RedisClient, PipelinedConnection | None, Scripts]:
    client = open_client(url, cluster, max_connections)
    # All of one event's keys share a slot, so on Cluster its scripts may run on any node:
    # redis-py's Cluster client routes them; the pipelined connection serves one server, over
    # plain TCP (sockets and TLS keep redis-py).
    pipelined = None
    if not cluster and pipelined_serves(url):
        pipelined = PipelinedConnection(url, reply_timeout=WAIT_SECONDS)
    scripts = Scripts(client, pipelined)
    try:
        await scripts.load()
    except BaseException:
        await client.aclose()
        raise
    return client, pipelined, scripts
