"""``ticketing worker``: the consumer worker (``jobs.worker``) until told to stop."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from dependency_injector import providers

from ticketing_entrypoints.bootstrap import Container, relay_running, serve_until_signalled
from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.jobs.worker import WorkerCounters
from ticketing_entrypoints.jobs.worker_metrics import metrics_endpoint, worker_registry
from ticketing_entrypoints.logs import configure_logging
from ticketing_entrypoints.preflight import ready_settings, refuse
from ticketing_entrypoints.settings import SettingsInvalid, read_settings

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=int,
        help="records read and stored per transaction (default: TICKETING_WORKER_BATCH_SIZE, 1000)",
    )
    parser.add_argument(
        "--relay",
        action="store_true",
        help="also relay the outbox from Redis to Kafka (needs TICKETING_REDIS_URL), so that "
        "the API processes can leave it (TICKETING_API_RELAY=false)",
    )


def run(arguments: argparse.Namespace) -> int:
    configure_logging()
    relaying: bool = arguments.relay
    needed = ("redis_url",) if relaying else ()
    # Kafka may come later: the worker waits for it. Without its database it has no work.
    settings = ready_settings(
        "worker", "kafka_bootstrap", "database_url", *needed, redis=relaying, postgres=True
    )
    if arguments.batch_size is not None:
        # Validated like TICKETING_WORKER_BATCH_SIZE (model_copy would not check the bounds).
        try:
            settings = read_settings(
                **{**settings.model_dump(), "worker_batch_size": arguments.batch_size}
            )
        except SettingsInvalid as error:
            refuse("worker", error)
    counters = WorkerCounters()
    with contextlib.ExitStack() as stack:
        port = settings.worker_metrics_port
        if port:
            registry = worker_registry(counters)
            stack.enter_context(metrics_endpoint(registry, settings.worker_metrics_host, port))
            log.info("metrics on http://%s:%d/metrics", settings.worker_metrics_host, port)
        relay = relay_running(Container(settings=providers.Object(settings))) if relaying else None
        asyncio.run(serve_until_signalled(settings, counters, beside=relay))
    return 0


COMMAND = Command(
    name="worker",
    summary="store the reservation stream in PostgreSQL (a consumer-group member)",
    configure=configure,
    run=run,
    settings=(
        "kafka_bootstrap",
        "database_url",
        "kafka_topic",
        "kafka_dead_letter_topic",
        "kafka_partitions",
        "kafka_group",
        "worker_batch_size",
        "worker_writes_in_flight",
        "worker_metrics_host",
        "worker_metrics_port",
        "redis_url",
        "redis_cluster",
        "relay_interval_seconds",
    ),
)
