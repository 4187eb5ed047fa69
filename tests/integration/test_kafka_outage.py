"""The Kafka broker stopped for ten seconds under load: the relay keeps retrying, and every
reservation still reaches PostgreSQL exactly once.

This stops and starts the shared broker of ``scripts/services.sh``: other tests using Kafka
at the same moment see the outage too.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, replace
from datetime import UTC, datetime

import pytest

from tests.support.stack import services
from tests.support.waiting import eventually
from ticketing_adapters.kafka import KafkaEventBus
from ticketing_adapters.memory import MemoryOutbox
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_core.model import Reservation
from ticketing_core.relay import OutboxRelay
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.bootstrap import embedded_ticketing, run_worker
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

OUTAGE_SECONDS = 10
EVENT = "outage-sale"


class Shop:
    """Buyers on the in-memory hot state, one seat each, every third one confirmed; its
    outbox is what an API instance's relay drains."""

    def __init__(self) -> None:
        self._ticketing = embedded_ticketing()
        self.outbox = MemoryOutbox(self._ticketing.parts.sales)
        self.sold: list[Reservation] = []
        self.settings = EventSettings(
            event_id=EVENT,
            name="Outage",
            total_seats=100_000,
            opens_at=datetime.now(UTC),
            admission_rate_per_second=100_000,
            max_active_users=100_000,
        )

    async def open(self) -> None:
        await self._ticketing.service.create_event(self.settings)

    async def sell_until(self, stop: asyncio.Event) -> None:
        service = self._ticketing.service
        while not stop.is_set():
            user = f"buyer-{len(self.sold)}"
            await service.enter(EVENT, user)
            await service.tick(EVENT)
            held = await service.reserve(EVENT, user, 1)
            if len(self.sold) % 3 == 0:
                held = await service.confirm(EVENT, user, held.reservation_id)
            self.sold.append(held)
            await asyncio.sleep(0.005)  # pacing: a steady stream of buyers

    async def outbox_empty(self) -> bool:
        return not await self.outbox.claim(EVENT, "check", 1)


@dataclass
class Relaying:
    """What an API instance's background driver does: relay, and on failure retry shortly."""

    relay: OutboxRelay
    published: int = 0
    failures: int = 0

    async def forever(self) -> None:
        while True:
            try:
                self.published += await self.relay.relay(EVENT)
            except Exception:
                self.failures += 1
                await asyncio.sleep(0.2)  # pacing: the driver's retry delay
            else:
                await asyncio.sleep(0.02)  # pacing: the driver's relay interval


async def test_a_ten_second_broker_outage_under_load_loses_nothing(
    stack_settings: Settings, repository: PostgresReservationRepository
) -> None:
    shop = Shop()
    await shop.open()
    await repository.save_event(shop.settings)
    # Short delivery timeout: publishes fail during the outage instead of waiting it out,
    # so the relay's retry path is what carries the messages through.
    bus = KafkaEventBus(replace(stack_settings.kafka_config(), delivery_timeout_ms=3_000))
    await bus.start()
    relaying = Relaying(OutboxRelay(shop.outbox, bus, "outage"))
    stop_worker, stop_selling = asyncio.Event(), asyncio.Event()
    tasks = [
        asyncio.create_task(relaying.forever()),
        asyncio.create_task(shop.sell_until(stop_selling)),
    ]
    worker = asyncio.create_task(run_worker(stack_settings, stop_worker))
    try:

        async def some_stored() -> bool:
            return len(await repository.reservations_of(EVENT)) > 0

        async def all_stored() -> bool:
            return len(await repository.reservations_of(EVENT)) == len(shop.sold)

        # The outage hits a pipeline that flows: relayed, consumed and stored.
        await eventually(some_stored, within=60, what="a first reservation stored")
        await asyncio.to_thread(services, "down", "kafka")
        sold_before_outage = len(shop.sold)
        await asyncio.sleep(OUTAGE_SECONDS)  # the fault's duration: the broker stays down
        sold_during_outage = len(shop.sold) - sold_before_outage
        await asyncio.to_thread(services, "up", "kafka")
        await asyncio.sleep(2)  # a duration: buyers keep buying once the broker is back
        stop_selling.set()

        await eventually(shop.outbox_empty, within=120)
        await eventually(all_stored, within=120)
    finally:
        stop_selling.set()
        stop_worker.set()
        tasks[0].cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await asyncio.wait_for(worker, 60)
        await bus.close()
        # Whatever happened, leave the broker running.
        await asyncio.to_thread(services, "up", "kafka")

    assert sold_during_outage > 0, "buyers kept buying while Kafka was down"
    assert relaying.failures > 0, "publishing failed during the outage and the relay retried"
    stored = {r.reservation_id: r for r in await repository.reservations_of(EVENT)}
    assert stored == {r.reservation_id: r for r in shop.sold}
