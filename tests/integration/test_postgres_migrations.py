"""Schema migrations: applied once, whoever runs them and however often."""

from __future__ import annotations

import asyncio

import psycopg
import pytest

from ticketing_adapters.postgres import migrate
from ticketing_adapters.postgres.migrate import bundled_migrations

pytestmark = pytest.mark.anyio


def applied_versions(url: str) -> list[int]:
    with psycopg.connect(url) as connection:
        rows = connection.execute("SELECT version FROM schema_migrations ORDER BY version")
        return [version for (version,) in rows.fetchall()]


def tables(url: str) -> set[str]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT table_name FROM information_schema.tables WHERE table_schema = current_schema()"
        )
        return {name for (name,) in rows.fetchall()}


async def test_migrate_applies_every_file_once_and_then_nothing(schema_url: str) -> None:
    every_version = [migration.version for migration in bundled_migrations()]

    assert await migrate(schema_url) == every_version
    assert await migrate(schema_url) == []

    assert applied_versions(schema_url) == every_version
    assert {"events", "reservations", "schema_migrations"} <= tables(schema_url)


async def test_two_processes_migrating_at_once_apply_each_file_exactly_once(
    schema_url: str,
) -> None:
    every_version = [migration.version for migration in bundled_migrations()]

    results = await asyncio.gather(*(migrate(schema_url) for _ in range(4)))

    assert sorted(results, key=len, reverse=True) == [every_version, [], [], []]
    assert applied_versions(schema_url) == every_version
