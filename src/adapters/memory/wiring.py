"""The in-memory set assembled: every port on one ``MemorySales``, and the durable record the
bus feeds. ``memory_parts`` is the one place that puts the parts together; the embedded
backends of the HTTP API and ``memory_ticketing`` (a service in this process) both use it."""

from __future__ import annotations

from dataclasses import dataclass, field

from ticketing_adapters.memory.bus import MemoryEventBus
from ticketing_adapters.memory.repository import MemoryReservationRepository
from ticketing_adapters.memory.stores import (
    MemoryEventCatalog,
    MemoryOutbox,
    MemoryQueueStore,
    MemorySales,
    MemoryStockStore,
)
from ticketing_core.clock import Clock, SystemClock
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService


@dataclass(frozen=True, slots=True)
class MemoryRecord:
    """A bus that delivers every message straight into an in-memory durable record."""

    bus: MemoryEventBus
    durable_record: MemoryReservationRepository


def memory_record() -> MemoryRecord:
    archive = MemoryReservationRepository()
    bus = MemoryEventBus()
    bus.subscribe(archive.apply)
    return MemoryRecord(bus, archive)


@dataclass(frozen=True, slots=True)
class MemoryParts:
    """One implementation of every port, all in this process."""

    catalog: MemoryEventCatalog
    queue: MemoryQueueStore
    stock: MemoryStockStore
    outbox: MemoryOutbox
    bus: MemoryEventBus
    durable_record: MemoryReservationRepository
    sales: MemorySales = field(repr=False)


def memory_parts() -> MemoryParts:
    sales = MemorySales()
    record = memory_record()
    return MemoryParts(
        catalog=MemoryEventCatalog(sales),
        queue=MemoryQueueStore(sales),
        stock=MemoryStockStore(sales),
        outbox=MemoryOutbox(sales),
        bus=record.bus,
        durable_record=record.durable_record,
        sales=sales,
    )


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
    parts = memory_parts()
    service = TicketingService(
        catalog=parts.catalog,
        queue=parts.queue,
        stock=parts.stock,
        clock=clock or SystemClock(),
        durable_record=parts.durable_record,
    )
    relay = OutboxRelay(parts.outbox, parts.bus, consumer="memory")
    return MemoryTicketing(service, relay, parts.bus, parts.durable_record, parts.sales)
