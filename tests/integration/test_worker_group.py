"""Several workers in one consumer group share the partitions and store each message once."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.kafka_topics import group_members_with_partitions, unconsumed
from tests.support.records import created, event_settings
from tests.support.waiting import eventually
from ticketing_adapters.kafka import KafkaEventBus
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_entrypoints.bootstrap import run_worker
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

WORKERS = 3


async def test_workers_of_one_group_split_the_stream_and_store_it_once(
    stack_settings: Settings, repository: PostgresReservationRepository
) -> None:
    settings = stack_settings
    await repository.save_event(event_settings())
    stopping = asyncio.Event()
    workers = [asyncio.create_task(run_worker(settings, stopping)) for _ in range(WORKERS)]
    bus = KafkaEventBus(settings.kafka_config())
    await bus.start()
    try:

        async def all_members_assigned() -> bool:
            members = await asyncio.to_thread(
                group_members_with_partitions,
                settings.required("kafka_bootstrap"),
                settings.kafka_group,
            )
            return members == WORKERS

        await eventually(all_members_assigned, within=60)
        holds = [created(user=f"buyer-{n}") for n in range(3_000)]
        await bus.publish(holds)

        async def all_committed() -> bool:
            behind = await asyncio.to_thread(
                unconsumed,
                settings.required("kafka_bootstrap"),
                settings.kafka_group,
                settings.kafka_topic,
            )
            return behind == 0

        await eventually(all_committed, within=60)
    finally:
        stopping.set()
        counters = await asyncio.wait_for(asyncio.gather(*workers), 60)
        await bus.close()

    assert all(worker.records > 0 for worker in counters), [c.records for c in counters]
    assert sum(worker.records for worker in counters) == len(holds)
    stored = await repository.reservations_of("sale-1")
    assert sorted(r.reservation_id for r in stored) == sorted(h.key for h in holds)
