"""``ticketing worker``: the consumer worker until SIGTERM or SIGINT (``entrypoints.worker``)."""

from __future__ import annotations

import argparse
import asyncio
import logging

from entrypoints.commands import Command
from entrypoints.stack_settings import StackSettings, settings_for_command
from entrypoints.worker import serve_until_signalled


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
    settings = settings_for_command(StackSettings)
    if arguments.batch_size is not None:
        settings = settings.model_copy(update={"worker_batch_size": arguments.batch_size})
    asyncio.run(serve_until_signalled(settings))
    return 0


COMMAND = Command(
    name="worker",
    summary="store the reservation stream in PostgreSQL (a consumer-group member)",
    configure=configure,
    run=run,
)
