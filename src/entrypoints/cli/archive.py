"""``ticketing archive --event ID``: a finished sale leaves Redis (``ops.archive``).

Exit code 0: archived; 1: not now (the message says why: people still waiting or admitted,
seats held, messages not relayed, or PostgreSQL behind); 2: PostgreSQL does not know the event.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ticketing_core.errors import EventNotFound
from ticketing_entrypoints.bootstrap import open_stored_state
from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.ops.archive import NotArchived, archive
from ticketing_entrypoints.preflight import ready_settings

ARCHIVED, NOT_NOW, UNABLE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", required=True, metavar="ID", help="the finished sale")


def run(arguments: argparse.Namespace) -> int:
    settings = ready_settings("archive", "redis_url", "database_url", redis=True, postgres=True)
    event_id: str = arguments.event

    async def archived() -> None:
        async with open_stored_state(settings) as stored:
            await archive(event_id, stored)

    try:
        asyncio.run(archived())
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
    settings=("redis_url", "redis_cluster", "database_url"),
)
