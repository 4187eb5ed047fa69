"""The in-memory set assembled: a service, its relay and the durable record it feeds."""

from __future__ import annotations

from dataclasses import dataclass, field

from adapters.memory.bus import MemoryEventBus
from adapters.memory.repository import MemoryReservationRepository
from adapters.memory.stores import (
    MemoryEventCatalog,
    MemoryOutbox,
    MemoryQueueStore,
    MemorySales,
    MemoryStockStore,
)
from ticketing_core.clock import Clock, SystemClock
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService


@dataclass
class MemoryTicketing:
    service: TicketingService
    relay: OutboxRelay
    bus: MemoryEventBus
    repository: MemoryReservationRepository
    sales: MemorySales = field(repr=False)

    async def run_due_work(self) -> None:
        """One round of what background drivers do: admit, expire holds, relay messages."""
        for event_id in await self.service.event_ids():
            await self.service.tick(event_id)
            while await self.relay.relay(event_id):
                pass


def memory_ticketing(clock: Clock | None = None) -> MemoryTicketing:
    """A complete ticketing service in this process, on the in-memory adapters."""
    sales = MemorySales()
    repository = MemoryReservationRepository()
    bus = MemoryEventBus()
    bus.subscribe(repository.apply)
    service = TicketingService(
        catalog=MemoryEventCatalog(sales),
        queue=MemoryQueueStore(sales),
        stock=MemoryStockStore(sales),
        clock=clock or SystemClock(),
        archive=repository,
    )
    relay = OutboxRelay(MemoryOutbox(sales), bus, consumer="memory")
    return MemoryTicketing(service, relay, bus, repository, sales)
