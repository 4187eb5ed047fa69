"""``ticketing worker``: the consumer worker until SIGTERM or SIGINT (``entrypoints.worker``)."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging

from entrypoints.commands import Command
from entrypoints.preflight import StartRefused, check_answering, refuse, settings_for
from entrypoints.worker import WorkerCounters, serve_until_signalled
from entrypoints.worker_metrics import metrics_endpoint, worker_registry

log = logging.getLogger(__name__)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--batch-size",
        type=int,
        help="records read and stored per transaction (default: TICKETING_WORKER_BATCH_SIZE, 1000)",
    )


def run(arguments: argparse.Namespace) -> int:
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    settings = settings_for("worker", "kafka_bootstrap", "database_url")
    try:
        # Kafka may come later: the worker waits for it. Without its database it has no work.
        check_answering(settings, redis=False, postgres=True)
    except StartRefused as error:
        refuse("worker", error)
    if arguments.batch_size is not None:
        settings = settings.model_copy(update={"worker_batch_size": arguments.batch_size})
    counters = WorkerCounters()
    with contextlib.ExitStack() as stack:
        port = settings.worker_metrics_port
        if port:
            registry = worker_registry(counters)
            stack.enter_context(metrics_endpoint(registry, settings.worker_metrics_host, port))
            log.info("metrics on http://%s:%d/metrics", settings.worker_metrics_host, port)
        asyncio.run(serve_until_signalled(settings, counters))
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
    ),
)
