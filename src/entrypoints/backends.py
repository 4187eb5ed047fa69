"""Which adapters serve the ports: the one decision that differs between deployments.

``open_backends`` is the only place that knows the adapter packages. It is an async generator
so that adapters holding connections (Redis, Kafka, PostgreSQL) open before the app serves
and close after it stops; the container runs it as a ``Resource``. To add a deployment, add a
branch here that yields a ``Backends`` built from those adapters.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from adapters.memory import (
    MemoryEventBus,
    MemoryEventCatalog,
    MemoryOutbox,
    MemoryQueueStore,
    MemoryReservationRepository,
    MemorySales,
    MemoryStockStore,
)
from entrypoints.settings import AppSettings
from ticketing_core.ports import (
    EventBus,
    EventCatalog,
    Outbox,
    QueueStore,
    ReservationRepository,
    StockStore,
)

HealthProbe = Callable[[], Awaitable[None]]
"""Returns when a dependency answers; raises (any exception) when it does not."""


@dataclass(frozen=True, slots=True)
class Backends:
    """One implementation of every port, plus how to tell whether each dependency is up."""

    catalog: EventCatalog
    queue: QueueStore
    stock: StockStore
    outbox: Outbox
    bus: EventBus
    archive: ReservationRepository | None
    probes: Mapping[str, HealthProbe] = field(default_factory=dict)


async def open_backends(settings: AppSettings) -> AsyncIterator[Backends]:
    """Opens the adapters the settings ask for, yields them, and closes them afterwards."""
    if not settings.embedded:
        raise NotImplementedError(
            "only the embedded (in-memory) backends are wired so far: unset TICKETING_REDIS_URL, "
            "TICKETING_KAFKA_BOOTSTRAP and TICKETING_DATABASE_URL"
        )
    yield memory_backends()


def memory_backends() -> Backends:
    """The embedded default: every port in this process; the bus feeds the record directly."""
    sales = MemorySales()
    archive = MemoryReservationRepository()
    bus = MemoryEventBus()
    bus.subscribe(archive.apply)
    return Backends(
        catalog=MemoryEventCatalog(sales),
        queue=MemoryQueueStore(sales),
        stock=MemoryStockStore(sales),
        outbox=MemoryOutbox(sales),
        bus=bus,
        archive=archive,
        probes={"memory": _always_up},
    )


async def _always_up() -> None:
    """The in-memory set lives in this process: if the process answers, so does it."""
