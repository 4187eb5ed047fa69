"""Four API instances, each with its own Redis client, selling 100 seats to a crowd at once."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_adapters.memory import memory_record
from ticketing_adapters.redis import RedisHotState
from ticketing_core import (
    DomainError,
    EventSettings,
    MessageType,
    Reservation,
    ReservationStatus,
    SystemClock,
    TicketingService,
)
from ticketing_core.clock import to_datetime
from ticketing_entrypoints.backends import redis_backends
from ticketing_entrypoints.bootstrap import bootstrapped

pytestmark = pytest.mark.anyio

INSTANCES = 4
SEATS = 100
BUYERS = 1_000
ATTEMPTS_PER_BUYER = 2  # through two different instances: 2,000 reserves in all


@asynccontextmanager
async def services_on(states: list[RedisHotState]) -> AsyncIterator[list[TicketingService]]:
    """One service per instance, each built by the composition root on its own hot state."""
    async with AsyncExitStack() as stack:
        services = []
        for state in states:
            record = memory_record()
            backends = redis_backends(state, record.bus, record.durable_record)
            container = await stack.enter_async_context(bootstrapped(backends=backends))
            services.append(container.service())
        yield services


async def attempt(service: TicketingService, event_id: str, user: str) -> Reservation | str:
    try:
        return await service.reserve(event_id, user, 1)
    except DomainError as refused:
        return refused.code


async def test_2000_concurrent_reserves_from_four_instances_take_exactly_the_100_seats(
    open_instance: Opener,
) -> None:
    async with instances(open_instance, INSTANCES) as states, services_on(states) as services:
        clock = SystemClock()
        event_id = new_event_id()
        await services[0].create_event(
            EventSettings(
                event_id=event_id,
                name="flash sale",
                total_seats=SEATS,
                max_per_user=1,
                opens_at=to_datetime(clock.now_ms()),
                admission_rate_per_second=100_000,
                max_active_users=1_000_000,
                admission_ttl_seconds=3_600,
                hold_ttl_seconds=3_600,
            )
        )
        buyers = [f"buyer-{n}" for n in range(BUYERS)]
        await asyncio.gather(
            *(services[n % INSTANCES].enter(event_id, user) for n, user in enumerate(buyers))
        )
        tick = await services[1].tick(event_id)
        assert len(tick.admissions.admitted) == BUYERS

        outcomes = await asyncio.gather(
            *(
                attempt(services[(n + k) % INSTANCES], event_id, user)
                for n, user in enumerate(buyers)
                for k in range(ATTEMPTS_PER_BUYER)
            )
        )

        made = [o for o in outcomes if isinstance(o, Reservation)]
        refusals = Counter(o for o in outcomes if isinstance(o, str))
        assert len(outcomes) == 2_000
        assert len(made) == SEATS
        assert set(refusals) <= {"sold_out", "limit_exceeded"}, refusals

        stored = await asyncio.gather(
            *(states[0].stock.get(event_id, r.reservation_id) for r in made)
        )
        assert stored == made, "every reservation answered is readable, as answered"
        assert all(r.status is ReservationStatus.PENDING and r.quantity == 1 for r in made)
        seats_per_buyer = Counter(r.user_id for r in made)
        assert max(seats_per_buyer.values()) == 1, "nobody holds more than max_per_user"

        stats = await states[2].stock.stats(await services[2].event(event_id))
        assert (stats.remaining, stats.pending_seats, stats.confirmed_seats) == (0, SEATS, 0)
        assert stats.remaining + stats.pending_seats + stats.confirmed_seats == SEATS

        recorded = await states[3].outbox.claim(event_id, "relay-1", 10_000)
        assert sorted(e.message.key for e in recorded) == sorted(r.reservation_id for r in made)
        assert {e.message.type for e in recorded} == {MessageType.CREATED}
