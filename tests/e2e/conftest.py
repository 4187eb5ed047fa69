"""The whole stack as real processes for each test: ``ticketing migrate``, then an API
(``ticketing serve``) and a worker (``ticketing worker``), on this test's own PostgreSQL
schema, Kafka topics and consumer group (``tests/integration/stack_fixtures.py``) and its
own database of the Redis server (``leased_database``: an API relays every event of its
database, so sharing one would mix tests' messages). A missing setting fails the test loudly;
nothing here skips."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from adapters.kafka import KafkaConfig
from adapters.postgres import PostgresReservationRepository, open_pool
from adapters.redis.client import open_client
from entrypoints.settings import Settings
from tests.e2e.support import Shop, Stack
from tests.integration.redis.servers import leased_database
from tests.integration.stack_helpers import eventually

READY_WITHIN = 60.0


@pytest.fixture
def process_settings(schema_url: str, kafka_config: KafkaConfig, run_id: str) -> Settings:
    """What this test's processes read from their environment (the schema not yet migrated:
    ``ticketing migrate`` does that)."""
    return Settings(
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
    redis = open_client(redis_url, cluster=False)
    async with open_pool(process_settings.required("database_url"), max_size=4) as pool:
        stack = Stack(
            settings=process_settings,
            redis_url=redis_url,
            redis=redis,
            record=PostgresReservationRepository(pool),
            logs=tmp_path,
        )
        migrated = await asyncio.to_thread(stack.run, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout.startswith("applied migrations"), migrated.stdout
        stack.start_api()
        stack.start_worker()
        try:
            await wait_ready(stack)
            yield stack
        finally:
            crashed = {
                name: process.returncode
                for name, process in stack.processes.items()
                if process.poll() is not None and process.returncode not in (0, -9)
            }
            for process in stack.processes.values():
                await stack.stop(process)
            print(stack.log_tails())
            await redis.aclose()
            assert not crashed, f"processes that ended on their own: {crashed}"


async def wait_ready(stack: Stack) -> None:
    async with httpx.AsyncClient(base_url=stack.api_url, timeout=5) as client:

        async def ready() -> bool:
            try:
                response = await client.get("/health/ready")
            except httpx.TransportError:
                return False
            return response.status_code == 200

        try:
            await eventually(ready, within=READY_WITHIN, every=0.1)
        except AssertionError:
            raise AssertionError(f"the API is not ready:\n{stack.log_tails()}") from None


@pytest.fixture
async def shop(stack: Stack) -> AsyncIterator[Shop]:
    limits = httpx.Limits(max_connections=100)
    async with httpx.AsyncClient(base_url=stack.api_url, limits=limits, timeout=30) as api:
        yield Shop(api)
