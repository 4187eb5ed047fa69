"""The whole stack as real processes for each test: ``ticketing migrate``, then an API
(``ticketing serve``) and a worker (``ticketing worker``), on this test's own PostgreSQL
schema, Kafka topics and consumer group (``tests/support/service_fixtures.py``) and its
own database of the Redis server (``leased_database``: an API relays every event of its
database, so sharing one would mix tests' messages). A missing setting fails the test loudly;
nothing here skips."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.e2e.support import Shop, Stack, running_stack
from tests.support.redis_servers import leased_database
from ticketing_adapters.kafka import KafkaConfig
from ticketing_entrypoints.settings import Settings


@pytest.fixture
def process_settings(schema_url: str, kafka_config: KafkaConfig, run_id: str) -> Settings:
    """What this test's processes read from their environment (the schema not yet migrated:
    ``ticketing migrate`` does that). Request budgets off and room for a crowd's streams: a
    test's crowd comes from one address (the stack test of bots against people turns the
    budgets on)."""
    return Settings(
        rate_limits=False,
        streams_per_address=20_000,
        database_url=schema_url,
        kafka_bootstrap=kafka_config.bootstrap_servers,
        kafka_topic=kafka_config.topic,
        kafka_dead_letter_topic=kafka_config.dead_letter_topic,
        kafka_group=f"test-{run_id}-workers",
        worker_batch_size=200,
    )


@pytest.fixture
def redis_url(stack_redis_url: str) -> Iterator[str]:
    with leased_database(stack_redis_url) as url:
        yield url


@pytest.fixture
async def stack(process_settings: Settings, redis_url: str, tmp_path: Path) -> AsyncIterator[Stack]:
    """Migrated, with one API and one worker running and the API ready."""
    async with running_stack(process_settings, redis_url, tmp_path) as stack:
        yield stack


@pytest.fixture
async def stack_relaying_in_worker(
    process_settings: Settings, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    """Like ``stack``, but the worker relays the outbox (``--relay``) and the API does not."""
    async with running_stack(process_settings, redis_url, tmp_path, relay_in_worker=True) as stack:
        yield stack


@pytest.fixture
async def shop(stack: Stack) -> AsyncIterator[Shop]:
    async with Shop.of(stack) as shop:
        yield shop
