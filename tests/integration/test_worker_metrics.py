"""The worker's ``/metrics``: what it consumed, stored and dead-lettered, and its lag."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families

from tests.support.http import LOOPBACK, free_port
from tests.support.kafka_topics import delete_topics, produce_raw
from tests.support.records import created, event_settings
from tests.support.waiting import eventually
from ticketing_adapters.kafka import (
    BatchConsumer,
    ConsumedRecord,
    KafkaConfig,
    KafkaEventBus,
    consumer_settings,
    ensure_topics,
)
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_entrypoints.bootstrap import run_worker
from ticketing_entrypoints.jobs.worker import WorkerCounters
from ticketing_entrypoints.jobs.worker_metrics import metrics_endpoint, worker_registry
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


async def scrape(port: int) -> dict[str, float]:
    """Every sample of the endpoint, by name with its labels (``name{label=value}``)."""
    async with httpx.AsyncClient() as client:
        response = await client.get(f"http://{LOOPBACK}:{port}/metrics")
    assert response.status_code == 200
    return {
        sample.name
        + "".join(f"{{{key}={value}}}" for key, value in sorted(sample.labels.items())): (
            sample.value
        )
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


async def test_the_endpoint_counts_what_the_worker_did_and_shows_it_caught_up(
    stack_settings: Settings,
    repository: PostgresReservationRepository,
    bus: KafkaEventBus,
) -> None:
    await repository.save_event(event_settings())
    await bus.publish([created(user=f"buyer-{n}") for n in range(300)])
    await asyncio.to_thread(
        produce_raw,
        stack_settings.required("kafka_bootstrap"),
        stack_settings.kafka_topic,
        [(b"k", b"?")],
    )
    counters, stopping, port = WorkerCounters(), asyncio.Event(), free_port()
    topic = stack_settings.kafka_topic
    seen: dict[str, float] = {}

    async def caught_up() -> bool:
        seen.update(await scrape(port))
        return (
            seen.get("messages_consumed_total") == 301
            and seen.get(f"consumer_lag_messages{{topic={topic}}}") == 0
        )

    with metrics_endpoint(worker_registry(counters), LOOPBACK, port):
        worker = asyncio.create_task(run_worker(stack_settings, stopping, counters))
        try:
            await eventually(caught_up, within=60)
        finally:
            stopping.set()
            await asyncio.wait_for(worker, 30)

    assert seen["messages_stored_total"] == 300
    assert seen["messages_dead_lettered_total"] == 1


async def test_the_lag_is_what_the_member_has_not_read_of_its_partitions(
    kafka_bootstrap: str, run_id: str
) -> None:
    config = KafkaConfig(
        kafka_bootstrap,
        topic=f"test.{run_id}.lag",
        dead_letter_topic=f"test.{run_id}.lag.dlq",
        partitions=1,
    )
    await ensure_topics(config)
    producer = Producer({"bootstrap.servers": kafka_bootstrap})
    for n in range(100):
        producer.produce(config.topic, value=str(n).encode())
    assert producer.flush(30) == 0
    consumer = BatchConsumer(consumer_settings(config, f"test-{run_id}-lag"), [config.topic])
    await consumer.start()
    try:
        read: list[ConsumedRecord] = []
        while len(read) < 10:
            read += await consumer.poll_batch(10 - len(read), 1.0)

        assert await consumer.lag() == {config.topic: 90}
    finally:
        await consumer.close()
        delete_topics(config)
