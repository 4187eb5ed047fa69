"""Which database errors are about the data written, as opposed to the database itself."""

from __future__ import annotations

import psycopg

UNAVAILABLE_ERRORS: tuple[type[Exception], ...] = (psycopg.OperationalError,)
"""What a call raises while PostgreSQL is down or unreachable (a lost connection, the pool's
``PoolTimeout``, a server shutting down): it passes once the database is back."""


def rejects_data(error: BaseException) -> bool:
    """True when PostgreSQL refused the rows themselves (a constraint, a value out of range):
    writing them again fails the same way. Anything else (connection lost, server shutting
    down, deadlock, missing schema) is about the database and passes once it is fixed."""
    return isinstance(error, psycopg.IntegrityError | psycopg.DataError)
