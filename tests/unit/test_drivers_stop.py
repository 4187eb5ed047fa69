"""The background drivers stop when asked, even if a store lost the cancellation."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from tests.support.waiting import eventually
from ticketing_adapters.memory import memory_parts
from ticketing_adapters.memory.stores import MemoryQueueStore, MemorySales
from ticketing_core.model import AdmissionReport, QueueStatus
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import memory_backends
from ticketing_entrypoints.bootstrap import bootstrapped
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

ROUND_SECONDS = 0.01
FAST_ROUNDS = Settings(
    drivers=True,
    tick_interval_seconds=ROUND_SECONDS,
    relay_interval_seconds=ROUND_SECONDS,
    metrics_interval_seconds=ROUND_SECONDS,
    idle_interval_seconds=ROUND_SECONDS,
)


class CancellationLosingQueue(MemoryQueueStore):
    """A queue whose admission, once ``armed``, behaves like a Redis call inside Python 3.11's
    ``asyncio.wait_for``: cancelled mid-way (the first time), it finishes normally."""

    def __init__(self, sales: MemorySales) -> None:
        super().__init__(sales)
        self.armed = False
        self.admitting = asyncio.Event()
        self.admissions_since_armed = 0
        self.cancellation_lost = False

    async def admit(
        self, settings: EventSettings, now_ms: int, limit: int = ADMISSIONS_PER_CALL
    ) -> AdmissionReport:
        if self.armed:
            self.admissions_since_armed += 1
            if not self.admitting.is_set():
                self.admitting.set()
                try:
                    await asyncio.sleep(3_600)
                except asyncio.CancelledError:
                    # Lost, as wait_for loses it when its operation completes at that moment.
                    self.cancellation_lost = True
        return await super().admit(settings, now_ms, limit)


async def test_a_cancellation_lost_inside_a_round_still_stops_the_drivers() -> None:
    parts = memory_parts()
    queue = CancellationLosingQueue(parts.sales)

    backends = replace(memory_backends(parts), queue=queue)
    async with bootstrapped(FAST_ROUNDS, backends=backends) as container:
        service = container.service()
        drivers = container.drivers()
        await service.create_event(
            EventSettings(event_id="show", name="Show", total_seats=2, opens_at=datetime.now(UTC))
        )
        await service.enter("show", "bob")
        await service.tick("show")
        hold = await service.reserve("show", "bob", 1)  # a message for the relay to deliver
        await service.enter("show", "alice")  # someone for the next tick to admit
        queue.armed = True
        registry = container.registry()

        def remaining_seats_shown() -> float | None:
            return registry.get_sample_value("redis_stock_remaining", {"event": "show"})

        before = asyncio.all_tasks()
        async with asyncio.timeout(5), drivers.running():
            await queue.admitting.wait()  # the tick round is inside the admission now
            await eventually(
                lambda: parts.bus.published == 1, within=5, every=ROUND_SECONDS, what="relayed"
            )
            await eventually(
                lambda: remaining_seats_shown() == 1, within=5, every=ROUND_SECONDS, what="gauges"
            )
        left_running = {task for task in asyncio.all_tasks() - before if not task.done()}

        assert not left_running, f"driver tasks still running: {left_running}"
        assert queue.cancellation_lost
        # The round that lost its cancellation finished its work, and no round began after it.
        assert (await service.queue_status("show", "alice")).status is QueueStatus.ADMITTED
        assert queue.admissions_since_armed == 1
        # Meanwhile the relay delivered the hold to the record and the gauges showed the sale.
        assert await parts.durable_record.get(hold.reservation_id) == hold
        assert remaining_seats_shown() == 1
