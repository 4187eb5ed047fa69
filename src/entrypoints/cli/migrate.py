"""``ticketing migrate``: applies the pending PostgreSQL schema migrations (idempotent)."""

from __future__ import annotations

import argparse
import asyncio

from ticketing_adapters.postgres import migrate
from ticketing_entrypoints.cli import Command
from ticketing_entrypoints.preflight import settings_for


def configure(parser: argparse.ArgumentParser) -> None:
    """No options: the database is TICKETING_DATABASE_URL."""


def run(arguments: argparse.Namespace) -> int:
    database_url = settings_for("migrate", "database_url").database_url
    assert database_url is not None
    applied = asyncio.run(migrate(database_url))
    print(f"applied migrations {applied}" if applied else "schema up to date")
    return 0


COMMAND = Command(
    name="migrate",
    summary="apply the PostgreSQL schema migrations (TICKETING_DATABASE_URL)",
    configure=configure,
    run=run,
    settings=("database_url",),
)
