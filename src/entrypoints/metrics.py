"""What an API instance tells Prometheus about the sales (SPEC section 6).

Label values stay bounded: an event id (events are created by the admin only, and only ids
the catalog knows are ever used), an outcome (``reserved`` or an error code) and a message
type. Never a user id.

The gauges describe each event as a whole, not this instance: every instance that runs the
drivers exports the same values (aggregate them with ``max``, not ``sum``). They are read from
the store by the drivers, never on a request or a scrape: once per ``metrics_interval_seconds``
for a busy event, once per ``idle_interval_seconds`` for a quiet one (``DrivingSchedule``).
"""

from __future__ import annotations

from collections.abc import Sequence

from prometheus_client import (
    GC_COLLECTOR,
    PLATFORM_COLLECTOR,
    PROCESS_COLLECTOR,
    CollectorRegistry,
    Counter,
    Gauge,
)

from ticketing_core.errors import DomainError
from ticketing_core.messages import Message
from ticketing_core.model import EventStats, Reservation, ReservationItem, StockStats
from ticketing_core.ports import EventBus, StockStore
from ticketing_core.service import TicketingService
from ticketing_core.settings import EventSettings

RESERVED = "reserved"
FAILED = "error"
"""The outcome of a reserve that failed for a reason other than a rule (a store was down)."""


def metrics_registry() -> CollectorRegistry:
    """A registry of this process's own, with the process, platform and GC collectors that
    prometheus_client's global registry would have had."""
    registry = CollectorRegistry(auto_describe=True)
    for collector in (PROCESS_COLLECTOR, PLATFORM_COLLECTOR, GC_COLLECTOR):
        registry.register(collector)
    return registry


class SaleMetrics:
    def __init__(self, registry: CollectorRegistry) -> None:
        self.reservations = Counter(
            "ticket_reservation",
            "Reserve requests on a known event by outcome: reserved, or the refusal's code",
            ["event", "outcome"],
            registry=registry,
        )
        self.published = Counter(
            "messages_published",
            "Messages the outbox relay delivered to the bus (confirmed), by type",
            ["type"],
            registry=registry,
        )
        self.active = Gauge(
            "queue_active_users", "Admitted users (whole event)", ["event"], registry=registry
        )
        self.waiting = Gauge(
            "queue_waiting_users", "Users waiting (whole event)", ["event"], registry=registry
        )
        self.abandoned = Gauge(
            "queue_abandoned_users",
            "Waiting users skipped so far because they were absent at their turn (whole event)",
            ["event"],
            registry=registry,
        )
        self.remaining = Gauge(
            "redis_stock_remaining",
            "Seats on sale in the hot state (whole event)",
            ["event"],
            registry=registry,
        )

    def count_reservation(self, event_id: str, outcome: str) -> None:
        self.reservations.labels(event_id, outcome).inc()

    def count_published(self, messages: Sequence[Message]) -> None:
        for message in messages:
            self.published.labels(message.type.value).inc()

    def show(self, event_id: str, stats: EventStats) -> None:
        self.active.labels(event_id).set(stats.active_users)
        self.waiting.labels(event_id).set(stats.waiting_users)
        self.abandoned.labels(event_id).set(stats.abandoned_users)
        self.remaining.labels(event_id).set(stats.remaining_seats)


class MeteredStockStore:
    """A ``StockStore`` that counts every reserve by outcome, then answers as the store did."""

    def __init__(self, stock: StockStore, metrics: SaleMetrics) -> None:
        self._stock = stock
        self._metrics = metrics

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
        try:
            reservation = await self._stock.reserve(
                settings, user_id, quantity, reservation_id, idempotency_key, now_ms, items
            )
        except DomainError as refusal:
            self._metrics.count_reservation(settings.event_id, refusal.code)
            raise
        except Exception:
            self._metrics.count_reservation(settings.event_id, FAILED)
            raise
        self._metrics.count_reservation(settings.event_id, RESERVED)
        return reservation

    async def confirm(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        return await self._stock.confirm(settings, user_id, reservation_id, now_ms)

    async def cancel(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        return await self._stock.cancel(settings, user_id, reservation_id, now_ms)

    async def expire_holds(
        self, settings: EventSettings, now_ms: int, limit: int
    ) -> list[Reservation]:
        return await self._stock.expire_holds(settings, now_ms, limit)

    async def get(self, event_id: str, reservation_id: str) -> Reservation | None:
        return await self._stock.get(event_id, reservation_id)

    async def stats(self, settings: EventSettings) -> StockStats:
        return await self._stock.stats(settings)


class MeteredEventBus:
    """An ``EventBus`` that counts the messages the bus confirmed."""

    def __init__(self, bus: EventBus, metrics: SaleMetrics) -> None:
        self._bus = bus
        self._metrics = metrics

    async def publish(self, messages: Sequence[Message]) -> None:
        await self._bus.publish(messages)
        self._metrics.count_published(messages)


class SaleGauges:
    """Reads every event's stats from the store and sets the gauges (the drivers call it)."""

    def __init__(self, service: TicketingService, metrics: SaleMetrics) -> None:
        self._service = service
        self._metrics = metrics

    async def refresh(self, event_id: str) -> EventStats:
        """Sets the event's gauges; answers the stats it read."""
        stats = await self._service.stats(event_id)
        self._metrics.show(event_id, stats)
        return stats
