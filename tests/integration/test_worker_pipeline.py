"""The consumer worker, in this process, between a real Kafka and a real PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest

from tests.support.kafka_topics import LateBroker, produce_raw, read_topic, unconsumed
from tests.support.records import created, event_settings, moved
from tests.support.waiting import eventually
from ticketing_adapters.kafka import KafkaEventBus
from ticketing_adapters.kafka.codec import encode_value
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_core.model import ReservationStatus
from ticketing_entrypoints.bootstrap import run_worker
from ticketing_entrypoints.jobs.worker import WorkerCounters
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

RunningWorker = Callable[[], Awaitable[WorkerCounters]]
"""Stops the worker (as SIGTERM would) and answers what it did."""


@pytest.fixture
async def worker(
    stack_settings: Settings, repository: PostgresReservationRepository
) -> AsyncIterator[RunningWorker]:
    await repository.save_event(event_settings())
    stopping = asyncio.Event()
    task = asyncio.create_task(run_worker(stack_settings, stopping))

    async def stop() -> WorkerCounters:
        stopping.set()
        return await asyncio.wait_for(task, 30)

    yield stop
    if not task.done():
        await stop()


async def test_once_its_offsets_are_committed_every_message_is_in_postgres_exactly_once(
    stack_settings: Settings,
    repository: PostgresReservationRepository,
    bus: KafkaEventBus,
    worker: RunningWorker,
) -> None:
    holds = [created(user=f"buyer-{n}") for n in range(1_000)]
    finals = {
        hold.key: moved(hold, ReservationStatus.CONFIRMED if n % 2 else ReservationStatus.EXPIRED)
        for n, hold in enumerate(holds)
    }
    await bus.publish(holds)
    await bus.publish(list(finals.values()))
    await bus.publish(holds[:100])  # a relay that crashed before acknowledging, late

    settings = stack_settings

    async def all_committed() -> bool:
        behind = await asyncio.to_thread(
            unconsumed,
            settings.required("kafka_bootstrap"),
            settings.kafka_group,
            settings.kafka_topic,
        )
        return behind == 0

    await eventually(all_committed, within=60)
    counters = await worker()

    stored = await repository.reservations_of("sale-1")
    assert sorted(stored, key=lambda r: r.reservation_id) == sorted(
        (final.reservation for final in finals.values()), key=lambda r: r.reservation_id
    )
    assert counters.records == 2_100
    assert counters.dead_lettered == 0


async def test_poison_messages_go_to_the_dead_letter_topic_and_the_worker_goes_on(
    stack_settings: Settings,
    repository: PostgresReservationRepository,
    bus: KafkaEventBus,
    worker: RunningWorker,
) -> None:
    before = [created(user=f"early-{n}") for n in range(50)]
    orphan = created(event_id="no-such-event")  # refused by the foreign key, every time
    after = [created(user=f"late-{n}") for n in range(50)]
    settings = stack_settings
    await bus.publish(before)
    await asyncio.to_thread(
        produce_raw,
        settings.required("kafka_bootstrap"),
        settings.kafka_topic,
        [(b"garbage", b"\x00 not json"), (orphan.key.encode(), encode_value(orphan))],
    )
    await bus.publish(after)

    async def all_good_stored() -> bool:
        return len(await repository.reservations_of("sale-1")) == len(before) + len(after)

    await eventually(all_good_stored, within=60)
    counters = await worker()

    letters = await asyncio.to_thread(
        read_topic, settings.required("kafka_bootstrap"), settings.kafka_dead_letter_topic, 2
    )
    by_reason = {dict(letter.headers() or [])["dlq.reason"]: letter for letter in letters}
    assert set(by_reason) == {b"undecodable", b"write_failed"}
    assert by_reason[b"undecodable"].value() == b"\x00 not json"
    assert by_reason[b"write_failed"].value() == encode_value(orphan)
    error = dict(by_reason[b"write_failed"].headers() or [])["dlq.error"]
    assert isinstance(error, bytes)
    assert error.startswith(b"ForeignKeyViolation")
    assert await repository.get(orphan.key) is None
    assert counters.dead_lettered == 2
    behind = await asyncio.to_thread(
        unconsumed, settings.required("kafka_bootstrap"), settings.kafka_group, settings.kafka_topic
    )
    assert behind == 0


async def test_a_worker_started_before_kafka_waits_for_it_then_stores_the_stream(
    stack_settings: Settings,
    repository: PostgresReservationRepository,
    bus: KafkaEventBus,
) -> None:
    await repository.save_event(event_settings())
    late = LateBroker(stack_settings.required("kafka_bootstrap"))
    stopping = asyncio.Event()
    running = asyncio.create_task(
        run_worker(stack_settings.model_copy(update={"kafka_bootstrap": late.address}), stopping)
    )
    hold = created()
    try:
        # A duration, not a wait: the worker must still be running after 2 s without Kafka
        # (a slower machine only gives it less time to fail).
        await asyncio.sleep(2)
        assert not running.done(), "the worker waits for Kafka instead of failing"
        await late.open()
        await bus.publish([hold])

        async def stored() -> bool:
            return await repository.get(hold.key) is not None

        await eventually(stored, within=60)
    finally:
        stopping.set()
        await late.close()
        counters = await asyncio.wait_for(running, 30)

    assert counters.stored == 1


async def test_a_worker_waiting_for_kafka_stops_cleanly_when_told(
    stack_settings: Settings,
) -> None:
    nowhere = LateBroker(
        stack_settings.required("kafka_bootstrap")
    )  # never opened: no broker answers
    stopping = asyncio.Event()
    running = asyncio.create_task(
        run_worker(stack_settings.model_copy(update={"kafka_bootstrap": nowhere.address}), stopping)
    )
    # A duration, not a wait: the worker must still be running after 1 s without Kafka.
    await asyncio.sleep(1)
    assert not running.done(), "the worker waits for Kafka instead of failing"

    stopping.set()
    counters = await asyncio.wait_for(running, 10)

    assert counters.records == 0
