"""``ticketing verify-draw --event ID``: recomputes a drawn pre-queue from PostgreSQL alone and
says whether the recorded order is the one its published seed gives.

Exit code 0: it matches; 1: it does not (each difference named); 2: the check could not be
made (unknown event, no draw, or the draw not recorded yet).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ticketing_adapters.postgres import PostgresReservationRepository, open_pool
from ticketing_core.errors import EventNotFound
from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.ops.verify_draw import DrawVerdict, NotDrawn, verify_draw
from ticketing_entrypoints.preflight import ready_settings

MATCHES, DIFFERS, UNABLE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", required=True, metavar="ID", help="the drawn sale to check")


def run(arguments: argparse.Namespace) -> int:
    settings = ready_settings("verify-draw", "database_url", redis=False, postgres=True)
    event_id: str = arguments.event

    async def verified() -> DrawVerdict:
        async with open_pool(settings.required("database_url")) as pool:
            return await verify_draw(event_id, PostgresReservationRepository(pool))

    try:
        verdict = asyncio.run(verified())
    except (EventNotFound, NotDrawn) as error:
        print(f"ticketing verify-draw: {error}", file=sys.stderr)
        return UNABLE
    print(f"event {verdict.event_id}: {verdict.entrants} entrants drawn with seed {verdict.seed}")
    for problem in verdict.problems:
        print(f"  mismatch: {problem}")
    if not verdict.problems:
        print(
            "  the recorded order is the one the seed gives, and the seed matches the "
            "commitment recorded when the sale was created"
        )
    return DIFFERS if verdict.problems else MATCHES


COMMAND = Command(
    name="verify-draw",
    summary="recompute a drawn pre-queue from PostgreSQL and check the recorded order",
    configure=configure,
    run=run,
    settings=("database_url",),
)
