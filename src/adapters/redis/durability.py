"""What survives a crash of the Redis an instance writes to: read from the server itself.

A hold the API answered ``202`` lives only in Redis until the relay carries it to PostgreSQL,
so it survives a SIGKILL of Redis only if Redis wrote it to its append-only file, synced,
before replying: ``appendonly yes`` with ``appendfsync always`` (ADR 0011). ``INFO
persistence`` is readable on managed Redis too; ``CONFIG GET`` often is not, and then the sync
policy stays unknown.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from redis.asyncio.cluster import RedisCluster
from redis.exceptions import ResponseError

from ticketing_adapters.redis.client import RedisClient


@dataclass(frozen=True, slots=True)
class NodeDurability:
    node: str
    append_only: bool
    fsync: str | None
    """``always``, ``everysec`` or ``no``; None where ``CONFIG GET`` is refused."""

    @property
    def survives_a_crash(self) -> bool | None:
        """Whether every write it acknowledged survives a crash of the process (None: the
        sync policy could not be read)."""
        if not self.append_only:
            return False
        return None if self.fsync is None else self.fsync == "always"

    def describe(self) -> str:
        if not self.append_only:
            return f"{self.node} has appendonly no"
        return f"{self.node} has appendfsync {self.fsync or 'unreadable (CONFIG GET refused)'}"


async def durability(client: RedisClient) -> list[NodeDurability]:
    """The persistence of every node behind ``client`` (one for a standalone Redis)."""
    if isinstance(client, RedisCluster):
        await client.initialize()
        return [
            NodeDurability(
                node.name,
                _append_only(await client.info("persistence", target_nodes=node)),
                await _fsync(client, target_nodes=node),
            )
            for node in client.get_primaries()
        ]
    info = await client.info("persistence")
    kwargs = client.connection_pool.connection_kwargs
    node = f"{kwargs.get('host', '?')}:{kwargs.get('port', '?')}"
    return [NodeDurability(node, _append_only(info), await _fsync(client))]


def _append_only(info: dict[str, Any]) -> bool:
    return bool(int(info.get("aof_enabled", 0)))


async def _fsync(client: RedisClient, **route: Any) -> str | None:
    try:
        found = await client.config_get("appendfsync", **route)
    except ResponseError:
        return None  # managed Redis often renames or forbids CONFIG
    value = found.get("appendfsync")
    return str(value) if value is not None else None
