"""Fixtures on the test services: Redis, PostgreSQL and Kafka.

Registered for the whole suite through ``pytest_plugins`` in ``tests/conftest.py``. The
services are scripts/services.sh's (``make services``) or, with
``TICKETING_TEST_SERVICES=containers``, containers of this session's own
(``tests/support/services.py``). Every test gets its own PostgreSQL schema and its own topics
and consumer group, so tests (and people) sharing one database and one broker never see each
other's data. A missing setting fails the test loudly: these tests are never skipped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator, Iterator, Mapping
from urllib.parse import quote

import psycopg
import pytest

from tests.support.kafka_topics import delete_topics
from tests.support.services import (
    DATABASE_URL,
    KAFKA_BOOTSTRAP,
    MODE_VARIABLE,
    REDIS_URL,
    UnknownTestServices,
    service_settings,
    services_mode,
)
from ticketing_adapters.kafka import KafkaConfig, KafkaEventBus, ensure_topics
from ticketing_adapters.postgres import Pool, PostgresReservationRepository, migrate, open_pool
from ticketing_entrypoints.settings import Settings

SERVICES_HINT = (
    'start them with: eval "$(scripts/services.sh up all)"'
    f" (or, with Docker, set {MODE_VARIABLE}=containers)"
)


def pytest_configure() -> None:
    """An unknown ``TICKETING_TEST_SERVICES`` stops the run before any test."""
    try:
        services_mode(os.environ)
    except UnknownTestServices as error:
        raise pytest.UsageError(str(error)) from None


@pytest.fixture(scope="session")
def service_environment() -> Iterator[Mapping[str, str]]:
    """The ``TICKETING_*`` settings of the test services, started first if they are
    containers; exported to this process's environment for the session too, where the
    helpers and the processes the tests start read them."""
    with (
        service_settings(services_mode(os.environ), os.environ) as settings,
        pytest.MonkeyPatch.context() as environment,
    ):
        for name, value in settings.items():
            environment.setenv(name, value)
        yield settings


def required(settings: Mapping[str, str], name: str) -> str:
    value = settings.get(name)
    if not value:
        pytest.fail(f"{name} is not set; these tests need the services ({SERVICES_HINT})")
    return value


@pytest.fixture(scope="session")
def database_url(service_environment: Mapping[str, str]) -> str:
    return required(service_environment, DATABASE_URL)


@pytest.fixture(scope="session")
def kafka_bootstrap(service_environment: Mapping[str, str]) -> str:
    return required(service_environment, KAFKA_BOOTSTRAP)


@pytest.fixture(scope="session")
def stack_redis_url(service_environment: Mapping[str, str]) -> str:
    return required(service_environment, REDIS_URL)


@pytest.fixture
def run_id() -> str:
    return uuid.uuid4().hex[:10]


@pytest.fixture
def schema_url(database_url: str, run_id: str) -> Iterator[str]:
    """A connection string whose default schema is a fresh, empty one of this test's own."""
    schema = f"test_{run_id}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"'.encode())
    separator = "&" if "?" in database_url else "?"
    yield f"{database_url}{separator}options={quote(f'-csearch_path={schema}')}"
    with psycopg.connect(database_url, autocommit=True) as connection:
        connection.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())


@pytest.fixture
async def migrated_url(schema_url: str) -> str:
    await migrate(schema_url)
    return schema_url


@pytest.fixture
async def pool(migrated_url: str) -> AsyncIterator[Pool]:
    async with open_pool(migrated_url) as opened:
        yield opened


@pytest.fixture
def repository(pool: Pool) -> PostgresReservationRepository:
    return PostgresReservationRepository(pool)


@pytest.fixture
async def kafka_config(kafka_bootstrap: str, run_id: str) -> AsyncIterator[KafkaConfig]:
    """This test's own stream and dead-letter topics, created now and deleted afterwards."""
    config = KafkaConfig(
        bootstrap_servers=kafka_bootstrap,
        topic=f"test.{run_id}.reservations",
        dead_letter_topic=f"test.{run_id}.reservations.dlq",
        client_id=f"test-{run_id}",
    )
    await ensure_topics(config)
    yield config
    delete_topics(config)


@pytest.fixture
async def bus(stack_settings: Settings) -> AsyncIterator[KafkaEventBus]:
    """A started Kafka bus on this test's stream."""
    bus = KafkaEventBus(stack_settings.kafka_config())
    await bus.start()
    yield bus
    await bus.close()


@pytest.fixture
def stack_settings(migrated_url: str, kafka_config: KafkaConfig, run_id: str) -> Settings:
    """What a worker of this test reads from its environment."""
    return Settings(
        database_url=migrated_url,
        kafka_bootstrap=kafka_config.bootstrap_servers,
        kafka_topic=kafka_config.topic,
        kafka_dead_letter_topic=kafka_config.dead_letter_topic,
        kafka_group=f"test-{run_id}-workers",
        worker_batch_size=200,
    )
