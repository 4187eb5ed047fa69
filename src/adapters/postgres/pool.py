"""The connection pool the PostgreSQL adapters share, opened and closed explicitly."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from psycopg import AsyncConnection
from psycopg.rows import TupleRow
from psycopg_pool import AsyncConnectionPool

Pool = AsyncConnectionPool[AsyncConnection[TupleRow]]


def create_pool(conninfo: str, *, min_size: int = 1, max_size: int = 10) -> Pool:
    """A pool that is not open yet: ``await pool.open(wait=True)`` before use, and
    ``await pool.close()`` on shutdown (opening in the constructor is deprecated in psycopg)."""
    return AsyncConnectionPool(
        conninfo,
        min_size=min_size,
        max_size=max_size,
        open=False,
        name="ticketing",
        # A connection idle in the pool dies silently when the server restarts; checking it
        # on the way out (one empty round trip) hands out a fresh one instead of an error.
        check=AsyncConnectionPool.check_connection,
    )


@asynccontextmanager
async def open_pool(conninfo: str, *, min_size: int = 1, max_size: int = 10) -> AsyncIterator[Pool]:
    """An open pool for the length of a block: fails fast if the database is unreachable."""
    pool = create_pool(conninfo, min_size=min_size, max_size=max_size)
    await pool.open(wait=True, timeout=30)
    try:
        yield pool
    finally:
        await pool.close()
