"""Opens the Redis client of one API instance, with back-pressure instead of failures.

redis-py's asyncio clients allow a fixed number of connections and raise
``MaxConnectionsError`` at once when a crowd asks for one more. An instance under a flash-sale
crowd must queue those requests instead: the standalone client gets a
``BlockingConnectionPool``, and the Cluster client (which has no blocking pool) lets at most
``max_connections`` commands run at a time and makes the others wait. Either way a command
that waited ``wait_seconds`` for a connection fails with ``ConnectionError``, as the blocking
pool does.
"""

from __future__ import annotations

import asyncio
from typing import Any

from redis.asyncio import BlockingConnectionPool, Redis
from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ClusterDownError, TryAgainError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from redis.typing import EncodableT

RedisClient = Redis | RedisCluster
"""A standalone client or a Cluster client; the adapters need them to decode responses."""

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (
    RedisConnectionError,  # also LOADING (BusyLoadingError) while a restart reads its AOF
    RedisTimeoutError,
    ClusterDownError,
    TryAgainError,  # a Cluster slot moving
)
"""What a command raises while Redis is down, restarting or unreachable: it passes once Redis
is back, so a caller may answer "try again shortly" instead of failing."""

MAX_CONNECTIONS = 64
"""Per instance (and per Cluster node). Redis runs one command at a time, so a few dozen
connections keep it busy; more would only add memory on both sides."""
WAIT_SECONDS = 10.0


def open_client(
    url: str,
    cluster: bool,
    max_connections: int = MAX_CONNECTIONS,
    wait_seconds: float = WAIT_SECONDS,
) -> RedisClient:
    # A server that stopped answering without closing its sockets (paused, partitioned)
    # fails a command after wait_seconds instead of holding its request forever.
    timeouts = {"socket_timeout": wait_seconds, "socket_connect_timeout": wait_seconds}
    if cluster:
        return _QueueingRedisCluster.from_url(
            url,
            decode_responses=True,
            max_connections=max_connections,
            wait_seconds=wait_seconds,
            **timeouts,
        )
    pool = BlockingConnectionPool.from_url(
        url,
        decode_responses=True,
        max_connections=max_connections,
        timeout=wait_seconds,
        **timeouts,
    )
    return Redis(connection_pool=pool)


class _QueueingRedisCluster(RedisCluster):
    def __init__(self, *, max_connections: int, wait_seconds: float, **kwargs: Any) -> None:
        super().__init__(max_connections=max_connections, **kwargs)
        # All of one event's keys live on one node, so its crowd meets one node's pool: at
        # most that many commands in flight over all nodes is what keeps it from running dry.
        self._running = asyncio.Semaphore(max_connections)
        self._wait_seconds = wait_seconds

    async def execute_command(self, *args: EncodableT, **kwargs: Any) -> Any:
        try:
            async with asyncio.timeout(self._wait_seconds):
                await self._running.acquire()
        except TimeoutError as waited:
            raise RedisConnectionError("No connection available.") from waited
        try:
            return await super().execute_command(*args, **kwargs)
        finally:
            self._running.release()
