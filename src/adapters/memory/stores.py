"""The hot-state ports (catalog, queue, stock, outbox) over one registry of ``SaleState``s."""

from __future__ import annotations

from collections.abc import Sequence
from itertools import count

from ticketing_core.changes import SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.errors import EventExists, EventHasReservations, EventNotFound
from ticketing_core.messages import Message
from ticketing_core.model import (
    AdmissionReport,
    QueueSnapshot,
    QueueView,
    Reservation,
    ReservationItem,
    StockStats,
)
from ticketing_core.ports import OutboxEntry
from ticketing_core.sale import ADMISSIONS_PER_CALL, SaleState
from ticketing_core.settings import EventSettings


class MemorySales:
    """Every event's state and its outbox, shared by the memory adapters of one process."""

    def __init__(self) -> None:
        self.sales: dict[str, SaleState] = {}
        self.outboxes: dict[str, dict[str, Message]] = {}
        self._entry_ids = count(1)

    def open(self, settings: EventSettings) -> None:
        if settings.event_id in self.sales:
            raise EventExists(f"event {settings.event_id} already exists")
        outbox: dict[str, Message] = {}
        self.outboxes[settings.event_id] = outbox

        def record(message: Message) -> None:
            outbox[f"{next(self._entry_ids)}"] = message

        self.sales[settings.event_id] = SaleState(settings, record)

    def sale(self, event_id: str) -> SaleState:
        try:
            return self.sales[event_id]
        except KeyError:
            raise EventNotFound(f"no event {event_id}") from None

    def remove(self, event_id: str) -> None:
        if self.sale(event_id).ever_reserved:
            raise EventHasReservations(f"event {event_id} has had reservations")
        del self.sales[event_id]
        del self.outboxes[event_id]


class MemoryEventCatalog:
    def __init__(self, sales: MemorySales) -> None:
        self._sales = sales

    async def add(self, settings: EventSettings, now_ms: int) -> None:
        self._sales.open(settings)

    async def get(self, event_id: str) -> EventSettings | None:
        sale = self._sales.sales.get(event_id)
        return sale.settings if sale else None

    async def change(
        self, event_id: str, change: SaleChange, actor: str, now_ms: int
    ) -> EventSettings:
        return self._sales.sale(event_id).change(change, actor, now_ms)

    async def event_ids(self) -> list[str]:
        return list(self._sales.sales)

    async def remove(self, event_id: str) -> None:
        self._sales.remove(event_id)

    async def add_codes(self, event_id: str, codes: Sequence[AccessCode]) -> None:
        self._sales.sale(event_id).add_codes(codes)

    async def codes(self, event_id: str) -> list[CodeUses]:
        return self._sales.sale(event_id).codes()


class MemoryQueueStore:
    def __init__(self, sales: MemorySales) -> None:
        self._sales = sales

    async def enter(
        self, settings: EventSettings, user_id: str, now_ms: int, code: str | None = None
    ) -> QueueView:
        return self._sales.sale(settings.event_id).enter(user_id, now_ms, code)

    async def status(self, settings: EventSettings, user_id: str, now_ms: int) -> QueueView:
        return self._sales.sale(settings.event_id).status(user_id, now_ms)

    async def keep_present(
        self, settings: EventSettings, user_ids: Sequence[str], now_ms: int
    ) -> None:
        self._sales.sale(settings.event_id).keep_present(user_ids, now_ms)

    async def leave(self, settings: EventSettings, user_id: str, now_ms: int) -> bool:
        return self._sales.sale(settings.event_id).leave(user_id, now_ms)

    async def admit(
        self, settings: EventSettings, now_ms: int, limit: int = ADMISSIONS_PER_CALL
    ) -> AdmissionReport:
        return self._sales.sale(settings.event_id).admit(now_ms, limit)

    async def snapshot(self, settings: EventSettings, now_ms: int) -> QueueSnapshot:
        return self._sales.sale(settings.event_id).snapshot(now_ms)


class MemoryStockStore:
    def __init__(self, sales: MemorySales) -> None:
        self._sales = sales

    async def reserve(
        self,
        settings: EventSettings,
        user_id: str,
        quantity: int,
        reservation_id: str,
        idempotency_key: str | None,
        now_ms: int,
        items: tuple[ReservationItem, ...] = (),
    ) -> Reservation:
        sale = self._sales.sale(settings.event_id)
        return sale.reserve(user_id, quantity, reservation_id, idempotency_key, now_ms, items)

    async def confirm(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        return self._sales.sale(settings.event_id).confirm(user_id, reservation_id, now_ms)

    async def cancel(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        return self._sales.sale(settings.event_id).cancel(user_id, reservation_id, now_ms)

    async def expire_holds(
        self, settings: EventSettings, now_ms: int, limit: int
    ) -> list[Reservation]:
        return self._sales.sale(settings.event_id).expire_holds(now_ms, limit)

    async def get(self, event_id: str, reservation_id: str) -> Reservation | None:
        sale = self._sales.sales.get(event_id)
        return sale.get(reservation_id) if sale else None

    async def stats(self, settings: EventSettings) -> StockStats:
        return self._sales.sale(settings.event_id).stats()


class MemoryOutbox:
    """One relay per process drains it, so a claim needs no lease: entries stay until acked."""

    def __init__(self, sales: MemorySales) -> None:
        self._sales = sales

    async def claim(self, event_id: str, consumer: str, limit: int) -> list[OutboxEntry]:
        outbox = self._sales.outboxes.get(event_id, {})
        entries: list[OutboxEntry] = []
        for entry_id, message in outbox.items():
            if len(entries) == limit:
                break
            entries.append(OutboxEntry(entry_id, message))
        return entries

    async def acknowledge(self, event_id: str, entry_ids: Sequence[str]) -> None:
        outbox = self._sales.outboxes.get(event_id, {})
        for entry_id in entry_ids:
            outbox.pop(entry_id, None)
