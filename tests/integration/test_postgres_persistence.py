"""What the composition root gets for the real stack: bus, durable record, probes, and events
recorded in PostgreSQL before they go on sale."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.kafka_topics import read_topic
from tests.support.records import T0, created, event_settings
from ticketing_adapters.kafka import KafkaConfig
from ticketing_adapters.kafka.codec import decode_value
from ticketing_adapters.memory import MemoryEventCatalog, MemorySales
from ticketing_core.errors import EventExists
from ticketing_entrypoints.settings import Settings
from ticketing_entrypoints.stream_and_record import RecordingCatalog, open_persistence

pytestmark = pytest.mark.anyio


async def test_opened_persistence_migrates_answers_its_probes_and_publishes(
    schema_url: str, kafka_config: KafkaConfig
) -> None:
    settings = Settings(
        database_url=schema_url,  # an empty schema: ``migrate_first`` creates the tables
        kafka_bootstrap=kafka_config.bootstrap_servers,
        kafka_topic=kafka_config.topic,
        kafka_dead_letter_topic=kafka_config.dead_letter_topic,
    )
    message = created()

    async with open_persistence(settings, migrate_first=True) as persistence:
        assert set(persistence.probes) == {"postgres", "kafka"}
        for probe in persistence.probes.values():
            await probe()
        await persistence.durable_record.save_event(event_settings())
        await persistence.bus.publish([message])
        assert await persistence.durable_record.event("sale-1") == event_settings()

    records = await asyncio.to_thread(
        read_topic, kafka_config.bootstrap_servers, kafka_config.topic, 1
    )
    assert records[0].key() == message.key.encode()
    assert decode_value(records[0].value()) == message


async def test_a_new_event_is_in_postgres_before_it_is_on_sale(
    stack_settings: Settings,
) -> None:
    settings = event_settings()
    async with open_persistence(stack_settings) as persistence:
        catalog = RecordingCatalog(MemoryEventCatalog(MemorySales()), persistence.durable_record)

        await catalog.add(settings, T0)
        with pytest.raises(EventExists):
            await catalog.add(event_settings(total_seats=7), T0)

        assert await persistence.durable_record.event(settings.event_id) == settings
        assert await catalog.get(settings.event_id) == settings
        assert await catalog.event_ids() == [settings.event_id]
