"""``ticketing reconcile --event ID [--repair]``: Redis checked (and rebuilt) from PostgreSQL.

Exit code 0: Redis agrees with PostgreSQL (after the repair, with ``--repair``); 1: it does
not; 2: the check could not be made (unknown event; with ``--repair``, a stream not drained).
"""

from __future__ import annotations

import argparse
import asyncio
import sys

from ticketing_core.errors import EventNotFound
from ticketing_entrypoints.bootstrap import open_stored_state
from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.ops.reconcile import NotDrained, Reconciliation, reconcile
from ticketing_entrypoints.preflight import ready_settings

CONSISTENT, DRIFT, UNABLE = 0, 1, 2


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--event", required=True, metavar="ID", help="the event to check")
    parser.add_argument(
        "--repair",
        action="store_true",
        help="rewrite the event's seats and reservations in Redis from PostgreSQL",
    )


def run(arguments: argparse.Namespace) -> int:
    settings = ready_settings("reconcile", "redis_url", "database_url", redis=True, postgres=True)
    event_id: str = arguments.event

    async def reconciled() -> tuple[Reconciliation, Reconciliation | None]:
        async with open_stored_state(settings) as stored:
            return await reconcile(event_id, stored, repair=arguments.repair)

    try:
        before, after = asyncio.run(reconciled())
    except (EventNotFound, NotDrained) as error:
        print(f"ticketing reconcile: {error}", file=sys.stderr)
        return UNABLE
    report(before)
    if after is not None:
        print("repaired from PostgreSQL; now:")
        report(after)
    return DRIFT if (after or before).drift else CONSISTENT


def report(state: Reconciliation) -> None:
    expected = state.expected
    print(
        f"event {state.event_id}: PostgreSQL remaining {expected.remaining}, "
        f"pending {expected.pending_seats}, confirmed {expected.confirmed_seats}"
    )
    if state.outbox_backlog:
        print(f"  note: {state.outbox_backlog} messages not yet relayed; drift may be transient")
    for difference in state.drift:
        print(f"  drift: {difference}")
    if not state.drift:
        print("  Redis agrees")


COMMAND = Command(
    name="reconcile",
    summary="compare an event's Redis hot state with PostgreSQL; --repair rebuilds it",
    configure=configure,
    run=run,
    settings=("redis_url", "redis_cluster", "database_url"),
)
