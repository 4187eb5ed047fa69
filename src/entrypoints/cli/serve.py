"""``ticketing serve``: the HTTP API on granian (why granian: docs/adr/0002-asgi-server.md)."""

from __future__ import annotations

import argparse
import logging
import resource
import sys

from granian.constants import Interfaces, Loops
from granian.log import LogLevels
from granian.server import MPServer, MTServer, Server

from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.logs import logging_config
from ticketing_entrypoints.preflight import StartRefused, check_serve, refuse, settings_for
from ticketing_entrypoints.settings import Settings

log = logging.getLogger(__name__)

APP_FACTORY = "ticketing_entrypoints.serving:serving_app"
MAX_CONCURRENCY = 32_768
"""Requests one worker serves at once. Every open SSE stream is one of them; granian's default
(backlog / workers = 1,024) would turn the 1,025th stream away, and 16,384 held the 16,385th
of the benchmark's 19,000 (bench: sse). Above what a process's open-files limit allows
(20,000 here), so that the socket count is what binds."""
SHUTDOWN_GRACE_SECONDS = 5
"""Granian waits for open requests before a worker stops, and position streams never finish on
their own: after this long the worker is stopped anyway (clients' EventSource reconnects)."""


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="address to bind (default: TICKETING_HOST, 127.0.0.1)")
    parser.add_argument("--port", type=int, help="port to bind (default: TICKETING_PORT, 8000)")
    parser.add_argument(
        "--workers",
        type=int,
        help="worker processes (default: TICKETING_WORKERS, 1; the embedded mode allows 1 only)",
    )


def run(arguments: argparse.Namespace) -> int:
    settings = settings_for("serve")
    host = arguments.host or settings.host
    port = settings.port if arguments.port is None else arguments.port
    workers = arguments.workers or settings.workers
    try:
        warnings = check_serve(settings, host, port, workers)
    except StartRefused as error:
        refuse("serve", error)
    for warning in warnings:
        print(f"ticketing serve: warning: {warning}", file=sys.stderr)
    _raise_open_files_limit()
    granian_server(APP_FACTORY, host=host, port=port, workers=workers).serve()
    return 0


def granian_server(app_factory: str, *, host: str, port: int, workers: int) -> MPServer | MTServer:
    """Granian as the API runs on it (the benchmark's baseline app runs on the same)."""
    return Server(
        app_factory,
        address=host,
        port=port,
        interface=Interfaces.ASGI,
        # uvloop wakes the loop once for a burst of requests that granian's threads hand over
        # (asyncio writes to its self-pipe for every one): +10-20% requests/s measured on
        # reserve and enter, as on the bare baseline endpoint.
        loop=Loops.uvloop,
        factory=True,
        workers=workers,
        backlog=4_096,
        backpressure=MAX_CONCURRENCY,
        workers_kill_timeout=SHUTDOWN_GRACE_SECONDS,
        log_level=LogLevels.info,
        log_dictconfig=logging_config(),
    )


def _raise_open_files_limit() -> None:
    """Each stream holds a socket; allow as many as the hard limit permits."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


COMMAND = Command(
    name="serve",
    summary="serve the HTTP API",
    configure=configure,
    run=run,
    settings=(
        "host",
        "port",
        "workers",
        "admin_key",
        "token_secret",
        "redis_url",
        "redis_cluster",
        "kafka_bootstrap",
        "database_url",
        "migrate_on_start",
        "kafka_topic",
        "kafka_dead_letter_topic",
        "kafka_partitions",
        "drivers",
        "api_relay",
        "tick_interval_seconds",
        "relay_interval_seconds",
        "metrics_interval_seconds",
        "idle_interval_seconds",
        "stream_interval_seconds",
        "stream_keepalive_seconds",
        "route_latency_metrics",
        "max_body_bytes",
        "rate_limits",
        "trusted_proxies",
        "limits_redis_url",
        "limits_redis_cluster",
        *(name for name in Settings.model_fields if name.startswith("limit_")),
        "streams_per_token",
        "streams_per_address",
        "challenge_lifetime_seconds",
        "allow_volatile_redis",
    ),
)
