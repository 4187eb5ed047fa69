"""The real stack's stream and durable record, ready for the composition root to wire.

On the real stack an API instance needs, besides the Redis hot state: the Kafka event bus for
its outbox relay, the PostgreSQL repository as the durable record that reads fall back to, and every
new event recorded in PostgreSQL before it goes on sale (the worker's rows refer to it). A
worker opens the same pair: it stores into that repository and dead-letters through the bus's
producer. ``open_persistence`` is the one place either is opened.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

from ticketing_adapters.kafka import KafkaEventBus
from ticketing_adapters.postgres import PostgresReservationRepository, migrate, open_pool
from ticketing_core.changes import SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.errors import CodeExists, EventNotFound
from ticketing_core.ports import EventCatalog, ReservationRepository
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.settings import Settings


class RecordingCatalog:
    """An ``EventCatalog`` that writes each new event to the durable record first, and
    removes an event's row last.

    First, so that an event is never on sale without its row: if PostgreSQL is down the
    create fails before Redis knows the event, and a retry is safe (``save_event`` is
    idempotent; a taken id still answers ``EventExists`` from the hot store).

    Last, because the hot store is where "no hold was ever made" is checked in the same step
    as the removal (no reserve can slip in between), and once the event is gone there nothing
    new can refer to the row. If PostgreSQL fails in between, a retry finds the hot state gone
    and still removes the row.
    """

    def __init__(self, catalog: EventCatalog, record: ReservationRepository) -> None:
        self._catalog = catalog
        self._record = record

    async def add(self, settings: EventSettings, now_ms: int) -> None:
        await self._record.save_event(settings)
        await self._catalog.add(settings, now_ms)

    async def get(self, event_id: str) -> EventSettings | None:
        return await self._catalog.get(event_id)

    async def change(
        self, event_id: str, change: SaleChange, actor: str, now_ms: int
    ) -> EventSettings:
        # Recorded through the outbox (the worker stores it), like every reservation change.
        return await self._catalog.change(event_id, change, actor, now_ms)

    async def event_ids(self) -> list[str]:
        return await self._catalog.event_ids()

    async def add_codes(self, event_id: str, codes: Sequence[AccessCode]) -> None:
        """Recorded first, like a new event: a code that lets anyone in is never unrecorded.
        A batch the hot store refuses (one of it was issued before) is taken back from the
        record, but for the codes recorded before it, so the record holds what was issued."""
        recorded = await self._record.save_codes(event_id, codes)
        try:
            await self._catalog.add_codes(event_id, codes)
        except CodeExists:
            await self._record.forget_codes(event_id, recorded)
            raise

    async def codes(self, event_id: str) -> list[CodeUses]:
        return await self._catalog.codes(event_id)

    async def remove(self, event_id: str) -> None:
        try:
            await self._catalog.remove(event_id)
        except EventNotFound:
            # Gone from the hot state already: a retry of a removal stopped before the row
            # went (or an archived sale that sold nothing). Not found only if no row is left.
            if not await self._record.delete_event(event_id):
                raise
            return
        await self._record.delete_event(event_id)


@dataclass(frozen=True, slots=True)
class Persistence:
    bus: KafkaEventBus
    durable_record: PostgresReservationRepository
    probes: Mapping[str, Callable[[], Awaitable[None]]]


@asynccontextmanager
async def open_persistence(
    settings: Settings, *, migrate_first: bool = False
) -> AsyncIterator[Persistence]:
    """Opens the PostgreSQL pool and the Kafka producer (creating missing topics), and closes
    them afterwards. ``migrate_first`` applies pending migrations (handy in development;
    production runs ``ticketing migrate`` as a release step)."""
    if migrate_first:
        await migrate(settings.required("database_url"))
    async with open_pool(settings.required("database_url")) as pool:
        record = PostgresReservationRepository(pool)
        bus = KafkaEventBus(settings.kafka_config())
        await bus.start()
        try:
            yield Persistence(
                bus=bus,
                durable_record=record,
                probes={"postgres": record.ping, "kafka": bus.ping},
            )
        finally:
            await bus.close()
