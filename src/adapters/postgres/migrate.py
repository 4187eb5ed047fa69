"""Schema migrations: the numbered ``migrations/NNNN_*.sql`` files, each applied once.

All pending files run in one transaction under a transaction-level advisory lock, so two
processes migrating at once (several workers starting together) serialise: the second waits,
then finds everything applied and does nothing. DDL is transactional in PostgreSQL, so a
failing file leaves the schema exactly as it was.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import psycopg

# Any fixed number works; it only has to be the same in every process of this application.
MIGRATION_LOCK_KEY = 0x7469636B6574  # "ticket"
_FILE_NAME = re.compile(r"^(\d{4})_[a-z0-9_]+\.sql$")


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    """The migrations shipped in this package, in version order."""
    found = []
    for entry in resources.files(__package__).joinpath("migrations").iterdir():
        match = _FILE_NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), entry.name, entry.read_text("utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise RuntimeError(f"two migration files share a version: {versions}")
    return found


async def migrate(conninfo: str) -> list[int]:
    """Applies the pending migrations; returns the versions applied now (empty if none)."""
    connect = psycopg.AsyncConnection.connect
    async with await connect(conninfo) as connection, connection.transaction():
        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (MIGRATION_LOCK_KEY,))
        await connection.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                version    integer     PRIMARY KEY,
                name       text        NOT NULL,
                applied_at timestamptz NOT NULL DEFAULT now()
            )
            """
        )
        cursor = await connection.execute("SELECT version FROM schema_migrations")
        applied = {version for (version,) in await cursor.fetchall()}
        done_now = []
        for migration in bundled_migrations():
            if migration.version in applied:
                continue
            # A file may hold several statements: sent without parameters, psycopg uses
            # the simple query protocol, which accepts them. The files are package data,
            # not literals, hence bytes rather than a LiteralString.
            await connection.execute(migration.sql.encode("utf-8"))
            await connection.execute(
                "INSERT INTO schema_migrations (version, name) VALUES (%s, %s)",
                (migration.version, migration.name),
            )
            done_now.append(migration.version)
    return done_now
