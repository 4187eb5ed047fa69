"""Redis adapters: the hot state (events, waiting room, stock, holds, outbox) on Redis 7 or a
Redis Cluster, shared by any number of API instances.

Every rule that reads and writes several keys is one Lua script (``lua/``), so it is atomic;
all keys of an event share the hash tag ``{eventId}``, so every script runs on Cluster. See
docs/adr/0003-redis-key-layout.md.
"""

from ticketing_adapters.redis.catalog import RedisEventCatalog
from ticketing_adapters.redis.hot_state import RedisHotState, open_redis_hot_state
from ticketing_adapters.redis.outbox import RedisOutbox
from ticketing_adapters.redis.queue import RedisQueueStore
from ticketing_adapters.redis.stock import RedisStockStore

__all__ = [
    "RedisEventCatalog",
    "RedisHotState",
    "RedisOutbox",
    "RedisQueueStore",
    "RedisStockStore",
    "open_redis_hot_state",
]
