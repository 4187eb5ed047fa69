"""The background drivers stop when asked, even if a store lost the cancellation."""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime

import pytest

from adapters.memory import memory_parts
from adapters.memory.stores import MemoryQueueStore, MemorySales
from entrypoints.http.drivers import BackgroundDrivers
from entrypoints.http.schedule import DrivingSchedule
from entrypoints.sale_metrics import SaleGauges, SaleMetrics, metrics_registry
from ticketing_core.clock import SystemClock
from ticketing_core.model import AdmissionReport
from ticketing_core.relay import OutboxRelay
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_core.service import TicketingService
from ticketing_core.settings import EventSettings

pytestmark = pytest.mark.anyio


class CancellationLosingQueue(MemoryQueueStore):
    """A queue whose admission, like a Redis call inside Python 3.11's ``asyncio.wait_for``,
    finishes normally when cancelled mid-way (the first time)."""

    def __init__(self, sales: MemorySales) -> None:
        super().__init__(sales)
        self.admitting = asyncio.Event()

    async def admit(
        self, settings: EventSettings, now_ms: int, limit: int = ADMISSIONS_PER_CALL
    ) -> AdmissionReport:
        if not self.admitting.is_set():
            self.admitting.set()
            # Lost, as wait_for loses it when its operation completes at that moment.
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.sleep(3_600)
        return await super().admit(settings, now_ms, limit)


async def test_a_cancellation_lost_inside_a_round_still_stops_the_drivers() -> None:
    parts = memory_parts()
    queue = CancellationLosingQueue(parts.sales)
    service = TicketingService(
        catalog=parts.catalog,
        queue=queue,
        stock=parts.stock,
        clock=SystemClock(),
    )
    await service.create_event(
        EventSettings(event_id="show", name="Show", total_seats=1, opens_at=datetime.now(UTC))
    )
    metrics = SaleMetrics(metrics_registry())
    drivers = BackgroundDrivers(
        service=service,
        relay=OutboxRelay(parts.outbox, parts.bus, consumer="test"),
        tick_interval=0.01,
        relay_interval=0.01,
        gauges=SaleGauges(service, metrics),
        gauge_interval=0.01,
        schedule=DrivingSchedule(idle_interval=0.01),
    )

    async with asyncio.timeout(5):
        async with drivers.running():
            await queue.admitting.wait()
