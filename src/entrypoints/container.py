"""The composition root: the one place that decides what is built from what.

``backends`` (see ``entrypoints.backends``) is the only provider that depends on the
deployment; everything else is built on top of whatever it yields. Tests override ``settings``
and ``clock``.
"""

from __future__ import annotations

import os
import socket

from dependency_injector import containers, providers

from entrypoints import secrets
from entrypoints.backends import open_backends
from entrypoints.http.drivers import BackgroundDrivers
from entrypoints.http.latency import RequestLatency
from entrypoints.http.positions import PositionHub
from entrypoints.http.schedule import DrivingSchedule
from entrypoints.http.tokens import QueueTokens
from entrypoints.sale_metrics import (
    MeteredEventBus,
    MeteredStockStore,
    SaleGauges,
    SaleMetrics,
    metrics_registry,
)
from entrypoints.settings import read_settings
from ticketing_core.clock import Clock, SystemClock
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService


def instance_name() -> str:
    """Names this process among the instances that claim outbox entries."""
    return f"{socket.gethostname()}:{os.getpid()}"


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
        archive=backends.provided.archive,
        on_change=schedule.provided.wake,
    )
    relay = providers.Singleton(
        OutboxRelay,
        outbox=backends.provided.outbox,
        bus=providers.Singleton(MeteredEventBus, backends.provided.bus, metrics),
        consumer=providers.Callable(instance_name),
    )
    probes = backends.provided.probes

    admin_key = providers.Singleton(secrets.admin_key, settings)
    tokens = providers.Singleton(
        QueueTokens, secret=providers.Singleton(secrets.token_secret, settings)
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
        interval=settings.provided.stream_interval_seconds,
    )
