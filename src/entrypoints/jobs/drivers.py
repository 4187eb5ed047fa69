"""Background drivers: admission ticks, hold expiry, the outbox relay and the sale gauges.

They only drive; the stores keep the global cap and rate however many instances tick
together. A failing round is logged (once per failure streak, not every interval) and the
driver keeps going.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Literal

from ticketing_core.errors import EventNotFound
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService
from ticketing_entrypoints.jobs.schedule import DrivingSchedule
from ticketing_entrypoints.metrics import SaleGauges

log = logging.getLogger(__name__)

Job = Literal["tick", "relay", "gauges"]
"""Admissions and hold expiry; publishing the outbox; the sale gauges of ``/metrics``."""
EVERY_JOB: tuple[Job, ...] = ("tick", "relay", "gauges")

RELAY_BATCH = 1_000
RELAY_BATCHES_PER_ROUND = 10
"""Bounds one event's share of a relay round so that one busy event cannot starve the rest."""


class BackgroundDrivers:
    def __init__(
        self,
        service: TicketingService,
        relay: OutboxRelay,
        tick_interval: float,
        relay_interval: float,
        gauges: SaleGauges,
        gauge_interval: float,
        schedule: DrivingSchedule,
    ) -> None:
        self._service = service
        self._relay = relay
        self._tick_interval = tick_interval
        self._relay_interval = relay_interval
        self._gauges = gauges
        self._gauge_interval = gauge_interval
        self._schedule = schedule
        self._failing: set[tuple[str, str]] = set()

    async def tick_all(self) -> None:
        """One round of admissions and hold expiry over the events due (``DrivingSchedule``)."""
        for event_id in await self._due("tick"):
            await self._guarded("tick", event_id, self._tick_event(event_id))

    async def relay_all(self) -> None:
        """One round of publishing recorded messages, over the events due."""
        for event_id in await self._due("relay"):
            await self._guarded("relay", event_id, self._relay_event(event_id))

    async def refresh_gauges(self) -> None:
        """One reading of the due events' stats, into the gauges and the schedule."""
        for event_id in await self._due("gauges"):
            await self._guarded("gauges", event_id, self._read_stats(event_id))

    async def _due(self, job: str) -> list[str]:
        return self._schedule.due(job, await self._service.event_ids())

    async def _read_stats(self, event_id: str) -> None:
        self._schedule.observe(event_id, await self._gauges.refresh(event_id))

    @asynccontextmanager
    async def running(self, jobs: tuple[Job, ...] = EVERY_JOB) -> AsyncIterator[None]:
        """Runs ``jobs``, each on its own interval, for the length of the block."""
        rounds: dict[Job, tuple[float, Callable[[], Awaitable[None]]]] = {
            "tick": (self._tick_interval, self.tick_all),
            "relay": (self._relay_interval, self.relay_all),
            "gauges": (self._gauge_interval, self.refresh_gauges),
        }
        tasks = [
            asyncio.create_task(self._every(rounds[job][0], job, rounds[job][1])) for job in jobs
        ]
        try:
            yield
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _tick_event(self, event_id: str) -> None:
        report = await self._service.tick(event_id)
        admissions = report.admissions
        if admissions.admitted or admissions.expired_admissions or report.expired_holds:
            # What the tick changed may have recorded messages still to relay.
            self._schedule.wake(event_id)

    async def _relay_event(self, event_id: str) -> None:
        for _ in range(RELAY_BATCHES_PER_ROUND):
            try:
                relayed = await self._relay.relay(event_id, RELAY_BATCH)
            except Exception:
                # Retried every round, not every idle interval: the messages go out as soon
                # as the bus is back.
                self._schedule.wake(event_id)
                raise
            if relayed:
                self._schedule.wake(event_id)
            if relayed < RELAY_BATCH:
                return

    async def _every(self, interval: float, job: str, work: Callable[[], Awaitable[None]]) -> None:
        task = asyncio.current_task()
        while True:
            await self._guarded(job, "*", work())
            if task is not None and task.cancelling():
                # Python 3.11's asyncio.wait_for (redis-py writes through it) loses a
                # cancellation that lands as its operation completes; the task stays marked,
                # so stop here rather than sleep on and hold up the shutdown forever.
                raise asyncio.CancelledError
            await asyncio.sleep(interval)

    async def _guarded(self, job: str, scope: str, work: Awaitable[object]) -> None:
        key = (job, scope)
        try:
            await work
        except EventNotFound:
            # Deleted between the listing and this visit: the next round no longer lists it.
            self._failing.discard(key)
        except Exception:
            if key not in self._failing:
                log.exception("%s failed for %s; retrying every round", job, scope)
                self._failing.add(key)
        else:
            if key in self._failing:
                log.info("%s recovered for %s", job, scope)
                self._failing.discard(key)
