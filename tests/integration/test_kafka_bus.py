"""The Kafka event bus: confirmed, keyed, in order per reservation, and loud when it fails."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from dataclasses import replace
from datetime import UTC, datetime

import pytest
from confluent_kafka import KafkaError

from tests.support.kafka_topics import LateBroker, delete_topics, read_topic
from tests.support.records import created, moved
from ticketing_adapters.kafka import DeliveryFailed, KafkaConfig, KafkaEventBus
from ticketing_adapters.kafka.codec import decode_value
from ticketing_adapters.memory import MemoryOutbox
from ticketing_core.clock import ManualClock
from ticketing_core.model import ReservationStatus
from ticketing_core.relay import OutboxRelay
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.bootstrap import embedded_ticketing

pytestmark = pytest.mark.anyio


async def test_published_messages_arrive_keyed_and_in_order_per_reservation(
    kafka_config: KafkaConfig,
) -> None:
    holds = [created(user=f"user-{n}") for n in range(100)]
    published = [
        *holds,
        *(moved(hold, ReservationStatus.CONFIRMED) for hold in holds[:50]),
        *(moved(hold, ReservationStatus.CANCELLED) for hold in holds[50:]),
    ]
    bus = KafkaEventBus(kafka_config)
    await bus.start()
    try:
        await bus.publish(published)
    finally:
        await bus.close()

    records = await asyncio.to_thread(
        read_topic, kafka_config.bootstrap_servers, kafka_config.topic, len(published)
    )

    received = [decode_value(record.value()) for record in records]
    assert sorted(m.message_id for m in received) == sorted(m.message_id for m in published)
    partitions_of: dict[str, set[int | None]] = defaultdict(set)
    order_of: dict[str, list[str]] = defaultdict(list)
    for record, message in zip(records, received, strict=True):
        assert record.key() == message.key.encode()
        assert dict(record.headers() or [])["type"] == message.type.value.encode()
        partitions_of[message.key].add(record.partition())
        order_of[message.key].append(message.type.value)
    assert all(len(partitions) == 1 for partitions in partitions_of.values())
    assert len({p for partitions in partitions_of.values() for p in partitions}) > 1
    assert all(order[0] == "reservation.created" for order in order_of.values())


async def test_an_unreachable_broker_fails_the_publish_and_the_relay_keeps_the_entries(
    kafka_config: KafkaConfig,
) -> None:
    clock = ManualClock()
    ticketing = embedded_ticketing(clock)
    opens = datetime.fromtimestamp(clock.now_ms() / 1000, UTC)
    await ticketing.service.create_event(
        EventSettings(event_id="sale-1", name="Sale", total_seats=10, opens_at=opens)
    )
    await ticketing.service.enter("sale-1", "alice")
    await ticketing.service.tick("sale-1")
    await ticketing.service.reserve("sale-1", "alice", 1)
    nowhere = replace(kafka_config, bootstrap_servers="127.0.0.1:1", delivery_timeout_ms=1_000)
    bus = KafkaEventBus(nowhere)
    await bus.start(create_topics=False)
    outbox = MemoryOutbox(ticketing.parts.sales)
    try:
        with pytest.raises(DeliveryFailed):
            await OutboxRelay(outbox, bus, "test").relay("sale-1")
    finally:
        await bus.close()

    assert len(await outbox.claim("sale-1", "test", 10)) == 1, "not acknowledged: still there"


async def test_a_producer_failed_fatally_is_replaced_and_publishing_goes_on(
    kafka_config: KafkaConfig,
) -> None:
    bus = KafkaEventBus(kafka_config)
    await bus.start()
    message = created()
    try:
        broken = bus._producer._client
        assert broken is not None
        # librdkafka offers Python no way to provoke a fatal error: report one as it would.
        broken._on_error(KafkaError(KafkaError._FATAL, "simulated", fatal=True))
        await bus.publish([message])
        assert bus._producer._client is not broken
    finally:
        await bus.close()

    records = await asyncio.to_thread(
        read_topic, kafka_config.bootstrap_servers, kafka_config.topic, 1
    )
    assert decode_value(records[0].value()) == message


async def test_a_bus_started_while_no_broker_answers_creates_its_topics_once_one_does(
    kafka_config: KafkaConfig,
) -> None:
    late = LateBroker(kafka_config.bootstrap_servers)
    config = replace(
        kafka_config,
        bootstrap_servers=late.address,
        topic=f"{kafka_config.topic}.late",
        dead_letter_topic=f"{kafka_config.topic}.late.dlq",
    )
    message = created()
    bus = KafkaEventBus(config)
    await bus.start()  # goes on without a broker
    try:
        with pytest.raises(DeliveryFailed):
            await bus.ping()
        await late.open()
        await bus.publish([message])
        await bus.ping()
    finally:
        await bus.close()
        await late.close()

    try:
        records = await asyncio.to_thread(
            read_topic, kafka_config.bootstrap_servers, config.topic, 1
        )
        assert decode_value(records[0].value()) == message
    finally:
        delete_topics(replace(config, bootstrap_servers=kafka_config.bootstrap_servers))
