"""The in-memory set assembled: every port on one ``MemorySales``, and the durable record the
bus feeds. ``memory_parts`` is the one place that puts the parts together; the composition
root (``ticketing_entrypoints.bootstrap``) builds the embedded deployment on it."""

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
