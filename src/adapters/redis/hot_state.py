"""Opens the Redis adapters on one client: what the composition root calls."""

from __future__ import annotations

from dataclasses import dataclass

from adapters.redis.catalog import RedisEventCatalog
from adapters.redis.client import MAX_CONNECTIONS, RedisClient, open_client
from adapters.redis.outbox import RedisOutbox
from adapters.redis.queue import RedisQueueStore
from adapters.redis.scripts import Scripts
from adapters.redis.stock import RedisStockStore


@dataclass(frozen=True, slots=True)
class RedisHotState:
    """The hot-state ports on one Redis client (its own connection pool)."""

    catalog: RedisEventCatalog
    queue: RedisQueueStore
    stock: RedisStockStore
    outbox: RedisOutbox
    client: RedisClient

    async def ping(self) -> None:
        """Returns when Redis answers (a health probe); raises when it does not."""
        await self.client.ping()

    async def close(self) -> None:
        await self.client.aclose()


async def open_redis_hot_state(
    url: str, cluster: bool = False, max_connections: int = MAX_CONNECTIONS
) -> RedisHotState:
    """Connects to Redis at ``url`` (a Cluster when ``cluster``) and loads the scripts.

    Raises redis-py's ``ConnectionError`` when the server cannot be reached.
    """
    client = open_client(url, cluster, max_connections)
    scripts = Scripts(client)
    try:
        await scripts.load()
    except BaseException:
        await client.aclose()
        raise
    return RedisHotState(
        catalog=RedisEventCatalog(client, scripts),
        queue=RedisQueueStore(scripts),
        stock=RedisStockStore(client, scripts),
        outbox=RedisOutbox(client, scripts),
        client=client,
    )
