"""PostgreSQL adapters: the durable record of events and reservations (psycopg 3, async pool)."""

from ticketing_adapters.postgres.errors import rejects_data
from ticketing_adapters.postgres.migrate import migrate
from ticketing_adapters.postgres.pool import Pool, create_pool, open_pool
from ticketing_adapters.postgres.repository import PostgresReservationRepository

__all__ = [
    "Pool",
    "PostgresReservationRepository",
    "create_pool",
    "migrate",
    "open_pool",
    "rejects_data",
]
