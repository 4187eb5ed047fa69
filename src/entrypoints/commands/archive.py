"""``ticketing archive --event ID``: a finished sale leaves Redis (``entrypoints.archive``).

Exit code 0: archived; 1: not now (the message says why: people still waiting or admitted,
seats held, messages not relayed, or PostgreSQL behind); 2: PostgreSQL does not know the event.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from entrypoints.archive import NotArchived, archive
from entrypoints.commands import Command
from entrypoints.stack_settings import ReconcileSettings, settings_for_command
from ticketing_core.errors import EventNotFound

ARCHIVED, NOT_NOW, UNABLE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", required=True, metavar="ID", help="the finished sale")


def run(arguments: argparse.Namespace) -> int:
    settings = settings_for_command(ReconcileSettings)
    event_id: str = arguments.event
    try:
        asyncio.run(
            archive(
                event_id,
                database_url=settings.database_url,
                redis_url=settings.redis_url,
                redis_cluster=settings.redis_cluster,
            )
        )
    except NotArchived as error:
        print(f"ticketing archive: not archived: {error}", file=sys.stderr)
        return NOT_NOW
    except EventNotFound as error:
        print(f"ticketing archive: {error}", file=sys.stderr)
        return UNABLE
    print(f"archived {event_id}: Redis forgot it; PostgreSQL keeps its reservations")
    return ARCHIVED


COMMAND = Command(
    name="archive",
    summary="remove a finished sale's hot state from Redis (PostgreSQL keeps it)",
    configure=configure,
    run=run,
)
