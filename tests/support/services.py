"""Where the test services come from, and the settings the tests find them by.

``TICKETING_TEST_SERVICES`` chooses, once per test session:

- ``services`` (the default, also when unset): the servers ``scripts/services.sh`` runs
  (``make test`` starts them); the tests read their settings from the environment, as
  ``eval "$(scripts/services.sh env)"`` exports them.
- ``containers``: testcontainers starts a Redis, a PostgreSQL and a Kafka container for the
  session (a Docker daemon must answer) and their settings replace the environment's.

Either way the tests read the same variables: ``TICKETING_REDIS_URL``,
``TICKETING_DATABASE_URL``, ``TICKETING_KAFKA_BOOTSTRAP`` and, for the Redis Cluster tests,
``TICKETING_TEST_REDIS_CLUSTER_URL``. testcontainers has no Redis Cluster, so ``containers``
provides none: the Cluster tests then use the cluster that variable names, or fail loudly
(``redis_servers.url_of``); they never skip.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass

MODE_VARIABLE = "TICKETING_TEST_SERVICES"
SERVICES = "services"
CONTAINERS = "containers"
MODES = (SERVICES, CONTAINERS)

REDIS_URL = "TICKETING_REDIS_URL"
DATABASE_URL = "TICKETING_DATABASE_URL"
KAFKA_BOOTSTRAP = "TICKETING_KAFKA_BOOTSTRAP"
REDIS_CLUSTER_URL = "TICKETING_TEST_REDIS_CLUSTER_URL"
SERVICE_VARIABLES = (REDIS_URL, DATABASE_URL, KAFKA_BOOTSTRAP, REDIS_CLUSTER_URL)

REDIS_IMAGE = "redis:7"
POSTGRES_IMAGE = "postgres:16"
"""As docker-compose.yml runs them."""
KAFKA_IMAGE = "confluentinc/cp-kafka:7.6.0"
"""The image testcontainers' ``KafkaContainer`` knows how to configure (KRaft, one node)."""


class UnknownTestServices(ValueError):
    """``TICKETING_TEST_SERVICES`` names no way of running the test services."""


def services_mode(environ: Mapping[str, str]) -> str:
    """Where the test services come from, as ``environ`` says (``services`` by default)."""
    mode = environ.get(MODE_VARIABLE) or SERVICES
    if mode not in MODES:
        raise unknown(mode)
    return mode


def unknown(mode: str) -> UnknownTestServices:
    return UnknownTestServices(
        f"{MODE_VARIABLE}={mode!r} is not a way to run the test services: use "
        f"{SERVICES!r} (scripts/services.sh, the default) or {CONTAINERS!r} "
        "(testcontainers, needs a Docker daemon)"
    )


@dataclass(frozen=True, slots=True)
class Started:
    """Where the started containers answer, as the tests' settings spell it."""

    redis_url: str
    database_url: str
    kafka_bootstrap: str


ContainerStarter = Callable[[], AbstractContextManager[Started]]
"""Starts the containers, yields their addresses, and removes them when the block ends."""


@contextmanager
def testcontainers_services() -> Iterator[Started]:
    """A Redis, a PostgreSQL and a Kafka container (testcontainers), for the length of the
    block. Fails if no Docker daemon answers."""
    # Imported here: only a run in containers mode needs testcontainers (and Docker).
    from testcontainers.community.kafka import KafkaContainer  # noqa: PLC0415
    from testcontainers.community.postgres import PostgresContainer  # noqa: PLC0415
    from testcontainers.community.redis import RedisContainer  # noqa: PLC0415

    with ExitStack() as started:
        try:
            # As scripts/services.sh runs it: the stack's API refuses a Redis that would
            # lose acknowledged writes in a crash.
            durable_redis = RedisContainer(REDIS_IMAGE).with_command(
                "redis-server --appendonly yes --appendfsync always"
            )
            redis = started.enter_context(durable_redis)
            postgres = started.enter_context(
                PostgresContainer(
                    POSTGRES_IMAGE,
                    username="ticketing",
                    password="ticketing",
                    dbname="ticketing",
                    driver=None,
                )
            )
            kafka = started.enter_context(KafkaContainer(KAFKA_IMAGE).with_kraft())
            addresses = Started(
                redis_url=f"redis://{redis.get_container_host_ip()}:"
                f"{redis.get_exposed_port(6379)}/0",
                database_url=postgres.get_connection_url(),
                kafka_bootstrap=kafka.get_bootstrap_server(),
            )
        except Exception as error:
            error.add_note(
                f"{MODE_VARIABLE}={CONTAINERS}: the test services did not start. Does a Docker "
                f"daemon answer, and can it pull {REDIS_IMAGE}, {POSTGRES_IMAGE} and "
                f"{KAFKA_IMAGE}? (Unset {MODE_VARIABLE} to use scripts/services.sh.)"
            )
            raise
        yield addresses


@contextmanager
def service_settings(
    mode: str,
    environ: Mapping[str, str],
    start_containers: ContainerStarter = testcontainers_services,
) -> Iterator[dict[str, str]]:
    """The ``TICKETING_*`` settings of the test services in ``mode``, valid for the length of
    the block (containers are removed when it ends).

    ``services``: those ``environ`` sets, as they are (a missing one fails the tests that need
    it). ``containers``: the started containers' addresses; of ``environ``'s, only a Redis
    Cluster's URL carries over, since no container provides one.
    """
    if mode not in MODES:
        raise unknown(mode)
    if mode == SERVICES:
        yield {name: environ[name] for name in SERVICE_VARIABLES if environ.get(name)}
        return
    with start_containers() as started:
        settings = {
            REDIS_URL: started.redis_url,
            DATABASE_URL: started.database_url,
            KAFKA_BOOTSTRAP: started.kafka_bootstrap,
        }
        if environ.get(REDIS_CLUSTER_URL):
            settings[REDIS_CLUSTER_URL] = environ[REDIS_CLUSTER_URL]
        yield settings
