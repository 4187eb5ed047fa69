"""``ticketing migrate``: applies the pending PostgreSQL schema migrations (idempotent)."""

from __future__ import annotations

import argparse
import asyncio

from adapters.postgres import migrate
from entrypoints.commands import Command
from entrypoints.stack_settings import DatabaseSettings, settings_for_command


def configure(parser: argparse.ArgumentParser) -> None:
    """No options: the database is TICKETING_DATABASE_URL."""


def run(arguments: argparse.Namespace) -> int:
    applied = asyncio.run(migrate(settings_for_command(DatabaseSettings).database_url))
    print(f"applied migrations {applied}" if applied else "schema up to date")
    return 0


COMMAND = Command(
    name="migrate",
    summary="apply the PostgreSQL schema migrations (TICKETING_DATABASE_URL)",
    configure=configure,
    run=run,
)
