"""The composition root: the one place that decides what is built from what, for every process.

``Container`` wires a deployment's parts: ``backends`` (``ticketing_entrypoints.backends``) is
the only provider that depends on the deployment; everything else is built on whatever it yields.
Every entrypoint builds through here: ``create_app`` (``ticketing serve``, the API tests),
``run_worker`` and ``serve_until_signalled`` (``ticketing worker``), ``relay_running``
(``ticketing worker --relay``), ``open_stored_state`` (``ticketing reconcile`` and
``archive``) and ``embedded_ticketing`` (the library in one process). Tests build through
``bootstrapped``, giving their own ``settings``, ``clock`` or ``backends``.

The HTTP package knows nothing of this module: the app gets what its handlers ask for as
``RequestServices`` and its lifespan as a context manager built here, so that ``http/``
imports no job and no container, and nothing imports in a circle.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator, Awaitable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

from dependency_injector import containers, providers
from litestar import Litestar

from ticketing_adapters.kafka import BatchConsumer, consumer_settings
from ticketing_adapters.memory import MemoryParts, memory_parts
from ticketing_adapters.postgres import PostgresReservationRepository, open_pool, rejects_data
from ticketing_adapters.postgres.errors import UNAVAILABLE_ERRORS as POSTGRES_UNAVAILABLE
from ticketing_adapters.redis.client import UNAVAILABLE_ERRORS as REDIS_UNAVAILABLE
from ticketing_adapters.redis.client import open_client
from ticketing_core.clock import Clock, SystemClock
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService
from ticketing_entrypoints import secrets
from ticketing_entrypoints.backends import (
    Backends,
    deployment_of,
    memory_backends,
    open_backends,
)
from ticketing_entrypoints.http.app import build_app
from ticketing_entrypoints.http.client_address import ClientAddresses
from ticketing_entrypoints.http.dependencies import RequestServices
from ticketing_entrypoints.http.entry_checks import EntryChecks
from ticketing_entrypoints.http.latency import RequestLatency
from ticketing_entrypoints.http.limit_metrics import LimitMetrics
from ticketing_entrypoints.http.limits import RequestLimits
from ticketing_entrypoints.http.positions import PositionHub
from ticketing_entrypoints.http.stream_caps import StreamCaps
from ticketing_entrypoints.http.tokens import QueueTokens
from ticketing_entrypoints.jobs.batch_writer import BatchWriter
from ticketing_entrypoints.jobs.drivers import BackgroundDrivers, Job
from ticketing_entrypoints.jobs.schedule import DrivingSchedule
from ticketing_entrypoints.jobs.worker import ReservationWorker, WorkerCounters, topics_created
from ticketing_entrypoints.metrics import (
    MeteredEventBus,
    MeteredStockStore,
    SaleGauges,
    SaleMetrics,
    metrics_registry,
)
from ticketing_entrypoints.ops import StoredState
from ticketing_entrypoints.process import process_name
from ticketing_entrypoints.settings import Settings, read_settings
from ticketing_entrypoints.stream_and_record import open_persistence

log = logging.getLogger(__name__)


class Container(containers.DeclarativeContainer):
    settings = providers.Singleton(read_settings)
    clock: providers.Provider[Clock] = providers.Singleton(SystemClock)

    backends = providers.Resource(open_backends, settings=settings)

    registry = providers.Singleton(metrics_registry)
    metrics = providers.Singleton(SaleMetrics, registry=registry)
    latency = providers.Singleton(RequestLatency, registry=registry)

    schedule = providers.Singleton(
        DrivingSchedule, idle_interval=settings.provided.idle_interval_seconds
    )
    service = providers.Singleton(
        TicketingService,
        catalog=backends.provided.catalog,
        queue=backends.provided.queue,
        stock=providers.Singleton(MeteredStockStore, backends.provided.stock, metrics),
        clock=clock,
        durable_record=backends.provided.durable_record,
        on_change=schedule.provided.wake,
    )
    relay = providers.Singleton(
        OutboxRelay,
        outbox=backends.provided.outbox,
        bus=providers.Singleton(MeteredEventBus, backends.provided.bus, metrics),
        consumer=providers.Callable(process_name, "relay"),
    )
    probes = backends.provided.probes

    admin_key = providers.Singleton(secrets.admin_key, settings)
    token_secret = providers.Singleton(secrets.token_secret, settings)
    tokens = providers.Singleton(QueueTokens, secret=token_secret)

    limit_metrics = providers.Singleton(LimitMetrics, registry=registry)
    budgets = backends.provided.budgets
    addresses = providers.Singleton(ClientAddresses, settings.provided.trusted_proxy_networks)
    entry = providers.Singleton(
        EntryChecks,
        secret=token_secret,
        challenge_lifetime_seconds=settings.provided.challenge_lifetime_seconds,
        spent=backends.provided.spent_challenges,
        metrics=limit_metrics,
        clock=clock,
    )
    streams = providers.Singleton(
        StreamCaps,
        per_buyer=settings.provided.streams_per_token,
        per_address=settings.provided.streams_per_address,
        metrics=limit_metrics,
    )

    drivers = providers.Singleton(
        BackgroundDrivers,
        service=service,
        relay=relay,
        tick_interval=settings.provided.tick_interval_seconds,
        relay_interval=settings.provided.relay_interval_seconds,
        gauges=providers.Singleton(SaleGauges, service, metrics),
        gauge_interval=settings.provided.metrics_interval_seconds,
        schedule=schedule,
    )
    positions = providers.Singleton(
        PositionHub,
        fetch=service.provided.snapshot,
        keep_present=service.provided.keep_present,
        interval=settings.provided.stream_interval_seconds,
    )


@asynccontextmanager
async def bootstrapped(
    settings: Settings | None = None,
    *,
    clock: Clock | None = None,
    backends: Backends | None = None,
) -> AsyncIterator[Container]:
    """A container with its resources open for the length of a block, for a library user or
    a test: ``settings``, ``clock`` and ``backends``, where given, replace what the
    environment, the system clock and the deployment would pick."""
    container = Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    if backends is not None:
        container.backends.override(providers.Object(backends))
    await _maybe_await(container.init_resources())
    try:
        yield container
    finally:
        await _shutdown_resources(container)


@dataclass(frozen=True, slots=True)
class EmbeddedTicketing:
    """A complete ticketing service in this process, on the in-memory adapters, with the
    background work run on request (``run_due_work``) instead of by drivers."""

    service: TicketingService
    relay: OutboxRelay
    parts: MemoryParts
    """The in-memory adapters underneath: ``parts.durable_record`` is what the relay fed."""

    async def run_due_work(self) -> None:
        """One round of what background drivers do: admit, expire holds, relay messages."""
        for event_id in await self.service.event_ids():
            await self.service.tick(event_id)
            while await self.relay.relay(event_id):
                pass


def embedded_ticketing(clock: Clock | None = None) -> EmbeddedTicketing:
    """The embedded deployment as a library: built by the container like every process,
    on the in-memory adapters and ``clock`` (the system clock by default), reading no
    environment."""
    parts = memory_parts()
    container = Container()
    # model_construct: the defaults, without reading TICKETING_* from the environment.
    container.settings.override(providers.Object(Settings.model_construct()))
    container.backends.override(providers.Object(memory_backends(parts)))
    if clock is not None:
        container.clock.override(providers.Object(clock))
    return EmbeddedTicketing(container.service(), container.relay(), parts)


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    """The API on ``container`` (a fresh one by default), with ``settings`` if given."""
    container = container or Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    settings = container.settings()
    return build_app(
        settings,
        RequestServices(
            service=container.service.async_,
            positions=container.positions.async_,
            probes=container.probes.async_,
            registry=container.registry,
            settings=container.settings,
            tokens=container.tokens,
            admin_key=container.admin_key,
            entry=container.entry.async_,
            streams=container.streams,
            addresses=container.addresses,
            limit_metrics=container.limit_metrics,
        ),
        running=lambda: api_running(container),
        latency=container.latency() if settings.route_latency_metrics else None,
        limits=(
            RequestLimits.of_settings(
                settings,
                budgets=container.budgets.async_,
                addresses=container.addresses(),
                tokens=container.tokens,
                metrics=container.limit_metrics(),
            )
            if settings.rate_limits
            else None
        ),
        unavailable=UNAVAILABLE_DEPENDENCIES,
    )


UNAVAILABLE_DEPENDENCIES = {
    "Redis": REDIS_UNAVAILABLE,
    "PostgreSQL": POSTGRES_UNAVAILABLE,
}
"""The errors that mean a backend is down for now, by the name a 503 gives it. (The API never
waits on Kafka: the relay publishes in the background and retries.)"""


def api_jobs(settings: Settings) -> tuple[Job, ...]:
    """The background jobs an API process runs: none with drivers off; the relay only while
    ``TICKETING_API_RELAY`` leaves it here (``ticketing worker --relay`` can take it)."""
    if not settings.drivers:
        return ()
    return ("tick", "relay", "gauges") if settings.api_relay else ("tick", "gauges")


@asynccontextmanager
async def api_running(container: Container) -> AsyncIterator[None]:
    """What runs around serving: backends open first and close last; jobs and streams
    between."""
    async with AsyncExitStack() as stack:
        await _maybe_await(container.init_resources())
        stack.push_async_callback(_shutdown_resources, container)
        # Resolved now, not on the first request: the generated admin key is logged at start.
        container.admin_key()
        container.tokens()
        positions = await container.positions.async_()
        stack.push_async_callback(positions.close)
        settings = container.settings()
        jobs = api_jobs(settings)
        if jobs:
            drivers = await container.drivers.async_()
            await stack.enter_async_context(drivers.running(jobs))
        log.info(
            "ticketing API ready (%s; jobs: %s)",
            deployment_of(settings).value,
            ", ".join(jobs) or "none",
        )
        yield


@asynccontextmanager
async def relay_running(container: Container) -> AsyncIterator[None]:
    """The outbox relay alone, as ``ticketing worker --relay`` runs it: every event of its
    Redis database, every relay interval (no requests here tell it which ones are busy)."""
    settings = container.settings()
    every_round = providers.Singleton(
        DrivingSchedule, idle_interval=settings.relay_interval_seconds
    )
    with container.schedule.override(every_round):
        async with AsyncExitStack() as stack:
            await _maybe_await(container.init_resources())
            stack.push_async_callback(_shutdown_resources, container)
            drivers = await container.drivers.async_()
            await stack.enter_async_context(drivers.running(("relay",)))
            log.info(
                "%s relaying the outbox (%s)",
                process_name("relay"),
                deployment_of(settings).value,
            )
            yield


@asynccontextmanager
async def open_stored_state(settings: Settings) -> AsyncIterator[StoredState]:
    """A sale's Redis and PostgreSQL, as ``ticketing reconcile`` and ``archive`` act on them."""
    async with open_pool(settings.required("database_url"), max_size=2) as pool:
        client = open_client(settings.required("redis_url"), settings.redis_cluster)
        try:
            yield StoredState(client, PostgresReservationRepository(pool))
        finally:
            await client.aclose()


async def run_worker(
    settings: Settings, stopping: asyncio.Event, counters: WorkerCounters | None = None
) -> WorkerCounters:
    """Runs one worker on the real stack until ``stopping`` is set; returns what it did (in
    ``counters`` if given, which a metrics endpoint may read meanwhile)."""
    kafka = settings.kafka_config()
    if not await topics_created(kafka, stopping):
        return counters or WorkerCounters()
    async with contextlib.AsyncExitStack() as resources:
        durable = await resources.enter_async_context(open_persistence(settings))
        consumer = BatchConsumer(consumer_settings(kafka, settings.kafka_group), [kafka.topic])
        await consumer.start()
        resources.push_async_callback(consumer.close)
        worker = ReservationWorker(
            consumer=consumer,
            writer=BatchWriter(durable.durable_record, rejects_data, stopping),
            dead_letters=durable.bus.dead_letters(process_name("worker")),
            stopping=stopping,
            batch_size=settings.worker_batch_size,
            writes_in_flight=settings.worker_writes_in_flight,
            counters=counters,
        )
        log.info(
            "%s consuming %s as group %s", process_name("worker"), kafka.topic, settings.kafka_group
        )
        await worker.run()
    log.info("worker stopped: %s", worker.counters)
    return worker.counters


async def serve_until_signalled(
    settings: Settings,
    counters: WorkerCounters | None = None,
    beside: AbstractAsyncContextManager[None] | None = None,
) -> WorkerCounters:
    """``run_worker`` that stops cleanly on SIGTERM or SIGINT, with ``beside`` (another job,
    such as the outbox relay) running for as long as it does."""
    stopping = asyncio.Event()
    loop = asyncio.get_running_loop()
    signals = (signal.SIGTERM, signal.SIGINT)
    for signum in signals:
        loop.add_signal_handler(signum, stopping.set)
    try:
        async with beside or contextlib.nullcontext():
            return await run_worker(settings, stopping, counters)
    finally:
        for signum in signals:
            loop.remove_signal_handler(signum)


async def _shutdown_resources(container: Container) -> None:
    await _maybe_await(container.shutdown_resources())


async def _maybe_await(result: Awaitable[None] | None) -> None:
    """The container answers an awaitable when any of its resources is asynchronous."""
    if result is not None:
        await result
