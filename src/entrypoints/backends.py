"""Which adapters serve the ports: the one decision that differs between deployments.

``open_backends`` is the only place that picks adapter packages. It is an async generator so
that adapters holding connections (Redis, Kafka, PostgreSQL) open before the app serves and
close after it stops; the container runs it as a ``Resource``. Three deployments, chosen by
which ``TICKETING_*`` settings are set (``deployment_of``):

- **embedded** (none set): every port in this process (``ticketing_adapters.memory``).
- **redis** (``TICKETING_REDIS_URL``): the hot state in Redis, shared by any number of API
  instances: the waiting room, seats, holds and the outbox are as safe as Redis is, and the
  admission rate and "never oversold" hold over all instances. The outbox relay delivers to an
  in-process record, though, so the durable side is *not* durable: each instance's record
  holds only what its own relay delivered and dies with the process, a ``GET`` of a hold
  Redis no longer knows answers only from that, and nothing reaches Kafka or PostgreSQL. For
  trying Redis out and for the Redis end-to-end tests; not for production.
- **stack** (Redis plus ``TICKETING_KAFKA_BOOTSTRAP`` and ``TICKETING_DATABASE_URL``): the real
  stack. Every change reaches Kafka through the outbox and PostgreSQL through the worker
  (``ticketing worker``); new events are recorded in PostgreSQL before they go on sale;
  reads fall back to PostgreSQL.

Kafka or PostgreSQL without Redis is refused: the outbox, which carries every change to
Kafka, lives in Redis. Every instance relays the outbox of every event in its Redis database
to its own bus, so each deployment needs a Redis database of its own.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Awaitable, Callable, Mapping
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from enum import Enum

from ticketing_adapters.memory import MemoryParts, memory_parts, memory_record
from ticketing_adapters.memory.budgets import MemoryRequestBudgets, MemorySpentChallenges
from ticketing_adapters.redis import RedisHotState, open_redis_hot_state
from ticketing_adapters.redis.hot_state import open_redis_budgets
from ticketing_core.ports import (
    EventBus,
    EventCatalog,
    Outbox,
    QueueStore,
    RequestBudgets,
    ReservationRepository,
    SpentChallenges,
    StockStore,
)
from ticketing_entrypoints.settings import Settings
from ticketing_entrypoints.stream_and_record import RecordingCatalog, open_persistence

HealthProbe = Callable[[], Awaitable[None]]
"""Returns when a dependency answers; raises (any exception) when it does not."""


@dataclass(frozen=True, slots=True)
class Backends:
    """One implementation of every port, plus how to tell whether each dependency is up."""

    catalog: EventCatalog
    queue: QueueStore
    stock: StockStore
    outbox: Outbox
    bus: EventBus
    durable_record: ReservationRepository | None
    budgets: RequestBudgets
    """Every client's request budgets (``TICKETING_RATE_LIMITS``), where the hot state is."""
    spent_challenges: SpentChallenges
    probes: Mapping[str, HealthProbe] = field(default_factory=dict)


class Deployment(Enum):
    EMBEDDED = "embedded"
    REDIS = "redis"
    STACK = "stack"


class BackendsMisconfigured(ValueError):
    """The settings name a combination of backends that cannot work."""


def deployment_of(settings: Settings) -> Deployment:
    """Which deployment the settings ask for; raises ``BackendsMisconfigured`` for none."""
    kafka, database = settings.kafka_bootstrap is not None, settings.database_url is not None
    if settings.redis_url is None:
        if kafka or database:
            raise BackendsMisconfigured(
                "TICKETING_KAFKA_BOOTSTRAP and TICKETING_DATABASE_URL need TICKETING_REDIS_URL: "
                "the outbox that carries every change to Kafka lives in Redis"
            )
        return Deployment.EMBEDDED
    if kafka != database:
        missing = "TICKETING_DATABASE_URL" if kafka else "TICKETING_KAFKA_BOOTSTRAP"
        raise BackendsMisconfigured(
            f"{missing} is not set: the real stack needs Kafka and PostgreSQL together "
            "(unset both for the Redis-only mode)"
        )
    return Deployment.STACK if kafka else Deployment.REDIS


async def open_backends(settings: Settings) -> AsyncGenerator[Backends, None]:
    """Opens the adapters the settings ask for, yields them, and closes them afterwards."""
    deployment = deployment_of(settings)
    if deployment is Deployment.EMBEDDED:
        yield memory_backends()
        return
    assert settings.redis_url is not None
    async with AsyncExitStack() as opened:
        hot = await open_redis_hot_state(settings.redis_url, cluster=settings.redis_cluster)
        opened.push_async_callback(hot.close)
        budgets = None
        if settings.limits_redis_url is not None:
            # No health probe: the budgets fail open, so their store being down does not
            # make the instance unready.
            own = await open_redis_budgets(settings.limits_redis_url, settings.limits_redis_cluster)
            opened.push_async_callback(own.close)
            budgets = own.budgets
        if deployment is Deployment.REDIS:
            record = memory_record()
            backends = redis_backends(hot, record.bus, record.durable_record)
            yield _with_own_budgets(backends, budgets)
            return
        async with open_persistence(settings, migrate_first=settings.migrate_on_start) as durable:
            backends = redis_backends(
                hot,
                durable.bus,
                durable.durable_record,
                catalog=RecordingCatalog(hot.catalog, durable.durable_record),
                probes=durable.probes,
            )
            yield _with_own_budgets(backends, budgets)


def _with_own_budgets(backends: Backends, budgets: RequestBudgets | None) -> Backends:
    return backends if budgets is None else dataclasses.replace(backends, budgets=budgets)


def redis_backends(
    hot: RedisHotState,
    bus: EventBus,
    durable_record: ReservationRepository,
    *,
    catalog: EventCatalog | None = None,
    probes: Mapping[str, HealthProbe] | None = None,
) -> Backends:
    """The hot state in Redis, the durable side given (and a catalog over Redis's, if given)."""
    return Backends(
        catalog=catalog or hot.catalog,
        queue=hot.queue,
        stock=hot.stock,
        outbox=hot.outbox,
        bus=bus,
        durable_record=durable_record,
        budgets=hot.budgets,
        spent_challenges=hot.spent_challenges,
        probes={"redis": hot.ping, **(probes or {})},
    )


def memory_backends(parts: MemoryParts | None = None) -> Backends:
    """The embedded default: every port in this process (on ``parts`` if given, which a
    caller keeps to reach the sales underneath); the bus feeds the record directly."""
    parts = parts or memory_parts()
    return Backends(
        catalog=parts.catalog,
        queue=parts.queue,
        stock=parts.stock,
        outbox=parts.outbox,
        bus=parts.bus,
        durable_record=parts.durable_record,
        budgets=MemoryRequestBudgets(),
        spent_challenges=MemorySpentChallenges(),
        probes={"memory": _always_up},
    )


async def _always_up() -> None:
    """The in-memory set lives in this process: if the process answers, so does it."""
