"""Thousands of concurrent buyers on one event: exactly the seats on sale are taken."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime

import pytest

from adapters.memory import memory_ticketing
from ticketing_core import (
    DomainError,
    EventSettings,
    ManualClock,
    QueueStatus,
    ReservationStatus,
)

BUYERS = 5_000
SEATS = 1_000
LIMIT = 3


@pytest.mark.anyio
async def test_five_thousand_concurrent_buyers_take_exactly_the_seats_on_sale() -> None:
    clock = ManualClock()
    ticketing = memory_ticketing(clock)
    service = ticketing.service
    await service.create_event(
        EventSettings(
            event_id="crowd",
            name="Crowd",
            total_seats=SEATS,
            max_per_user=LIMIT,
            opens_at=datetime.fromtimestamp(clock.now_ms() / 1000, UTC),
            admission_rate_per_second=500,
            max_active_users=800,
            admission_ttl_seconds=30,
            hold_ttl_seconds=60,
        )
    )
    rng = random.Random(7)
    outcomes: dict[str, int] = {}

    async def buyer(user: str) -> None:
        await service.enter("crowd", user)
        view = await service.queue_status("crowd", user)
        while view.status is QueueStatus.WAITING:
            await asyncio.sleep(0)
            view = await service.queue_status("crowd", user)
        while view.status is QueueStatus.ADMITTED:
            try:
                await service.reserve("crowd", user, rng.randint(1, LIMIT))
                outcome = "reserved"
            except DomainError as error:
                outcome = error.code
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
            if outcome in ("sold_out", "limit_exceeded"):
                return
            view = await service.queue_status("crowd", user)

    async def drive_time() -> None:
        while True:
            clock.advance(100)
            await ticketing.run_due_work()
            await asyncio.sleep(0)

    driver = asyncio.create_task(drive_time())
    await asyncio.gather(*(buyer(f"buyer-{n}") for n in range(BUYERS)))
    driver.cancel()
    await ticketing.run_due_work()

    stats = await service.stats("crowd")
    assert stats.remaining_seats == 0
    assert stats.pending_seats + stats.confirmed_seats == SEATS
    held: dict[str, int] = {}
    for reservation in ticketing.repository.reservations.values():
        if reservation.status is ReservationStatus.PENDING:
            held[reservation.user_id] = held.get(reservation.user_id, 0) + reservation.quantity
    assert sum(held.values()) == SEATS, "the durable record holds every seat taken"
    assert max(held.values()) <= LIMIT
    assert outcomes["sold_out"] > 0
