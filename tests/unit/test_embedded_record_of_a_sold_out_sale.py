"""A sale sold out on the embedded set: its durable record holds exactly what the buyers were
answered, and the seats add up.

(This replaces a 5,000-buyer "crowd" test that took most of the unit tests' time and could not
fail: on the memory store every operation runs whole between two awaits, so concurrent buyers
never interleave inside one. The race is tested where it can happen, on Redis:
``tests/integration/redis/test_concurrent_instances_never_oversell.py``.)
"""

from __future__ import annotations

import random
from collections import Counter
from datetime import UTC, datetime

import pytest

from ticketing_core import DomainError, EventSettings, ManualClock, Reservation, ReservationStatus
from ticketing_entrypoints.bootstrap import embedded_ticketing

pytestmark = pytest.mark.anyio

EVENT = "sold-out"
SEATS = 30
LIMIT = 3
BUYERS = 40
"""More buyers than seats: the sale sells out, and cancelled holds are sold again."""


async def test_the_record_of_a_sold_out_sale_holds_exactly_what_buyers_were_answered() -> None:
    clock = ManualClock()
    ticketing = embedded_ticketing(clock)
    service = ticketing.service
    await service.create_event(
        EventSettings(
            event_id=EVENT,
            name="Sold out",
            total_seats=SEATS,
            max_per_user=LIMIT,
            opens_at=datetime.fromtimestamp(clock.now_ms() / 1000, UTC),
            max_active_users=BUYERS,
        )
    )
    buyers = [f"buyer-{n}" for n in range(BUYERS)]
    for user in buyers:
        await service.enter(EVENT, user)
    assert len((await service.tick(EVENT)).admissions.admitted) == BUYERS

    rng = random.Random(7)
    answered: dict[str, Reservation] = {}
    refusals = Counter[str]()
    for attempt in range(2):
        for n, user in enumerate(buyers):
            try:
                hold = await service.reserve(EVENT, user, rng.randint(1, LIMIT))
            except DomainError as refused:
                refusals[refused.code] += 1
                continue
            answered[hold.reservation_id] = hold
            if (n + attempt) % 3 == 0:
                answered[hold.reservation_id] = await service.confirm(
                    EVENT, user, hold.reservation_id
                )
            elif (n + attempt) % 5 == 0:
                answered[hold.reservation_id] = await service.cancel(
                    EVENT, user, hold.reservation_id
                )
        clock.advance(1_000)
    await ticketing.run_due_work()

    assert refusals["sold_out"] > 0
    assert ticketing.parts.durable_record.reservations == answered
    stats = await service.stats(EVENT)
    seats = Counter[ReservationStatus]()
    for reservation in answered.values():
        seats[reservation.status] += reservation.quantity
    assert stats.remaining_seats == 0
    assert (stats.pending_seats, stats.confirmed_seats) == (
        seats[ReservationStatus.PENDING],
        seats[ReservationStatus.CONFIRMED],
    )
    assert stats.pending_seats + stats.confirmed_seats == SEATS
    taken = Counter[str]()
    for reservation in answered.values():
        if reservation.status in (ReservationStatus.PENDING, ReservationStatus.CONFIRMED):
            taken[reservation.user_id] += reservation.quantity
    assert max(taken.values()) <= LIMIT
