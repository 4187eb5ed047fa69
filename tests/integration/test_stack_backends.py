"""``open_backends`` on the real stack: Redis hot state, Kafka bus, PostgreSQL record."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC, datetime

import psycopg
import pytest

from tests.support.records import T0
from tests.support.redis_servers import leased_database
from ticketing_adapters.kafka import KafkaConfig
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import open_backends
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def redis_url(stack_redis_url: str) -> Iterator[str]:
    with leased_database(stack_redis_url) as url:
        yield url


async def test_the_stack_migrates_on_start_probes_each_dependency_and_records_new_events(
    schema_url: str, kafka_config: KafkaConfig, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETING_KAFKA_TOPIC", kafka_config.topic)
    monkeypatch.setenv("TICKETING_KAFKA_DEAD_LETTER_TOPIC", kafka_config.dead_letter_topic)
    settings = Settings(
        redis_url=redis_url,
        kafka_bootstrap=kafka_config.bootstrap_servers,
        database_url=schema_url,
        migrate_on_start=True,
    )
    event = EventSettings(
        event_id="stack-show", name="Show", total_seats=5, opens_at=datetime.now(UTC)
    )

    async with contextlib.asynccontextmanager(open_backends)(settings) as backends:
        for probe in backends.probes.values():
            await probe()
        await backends.catalog.add(event, T0)
        on_sale = await backends.catalog.get(event.event_id)

    assert set(backends.probes) == {"redis", "postgres", "kafka"}
    assert on_sale == event
    async with await psycopg.AsyncConnection.connect(schema_url) as connection:
        cursor = await connection.execute("SELECT event_id, total_seats FROM events")
        assert await cursor.fetchall() == [("stack-show", 5)]
