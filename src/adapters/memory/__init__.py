"""In-memory adapters: the embedded default (one process, no servers), not a test fake.

Every port is served from one ``MemorySales`` registry of ``SaleState``s. Each port call runs
one synchronous ``SaleState`` step without awaiting in between, which makes it atomic under
asyncio. They are not meant to be shared between threads or processes.
"""

from ticketing_adapters.memory.bus import MemoryEventBus
from ticketing_adapters.memory.repository import MemoryReservationRepository
from ticketing_adapters.memory.stores import (
    MemoryEventCatalog,
    MemoryOutbox,
    MemoryQueueStore,
    MemorySales,
    MemoryStockStore,
)
from ticketing_adapters.memory.wiring import (
    MemoryParts,
    MemoryRecord,
    memory_parts,
    memory_record,
)

__all__ = [
    "MemoryEventBus",
    "MemoryEventCatalog",
    "MemoryOutbox",
    "MemoryParts",
    "MemoryQueueStore",
    "MemoryRecord",
    "MemoryReservationRepository",
    "MemorySales",
    "MemoryStockStore",
    "memory_parts",
    "memory_record",
]
