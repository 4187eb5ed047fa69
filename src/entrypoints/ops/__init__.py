"""Operations on a sale's stored state: reconcile Redis with PostgreSQL, archive a finished sale.

Each takes the ``StoredState`` the composition root opened (``bootstrap.open_stored_state``).
"""

from __future__ import annotations

from dataclasses import dataclass

from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_adapters.redis.client import RedisClient


@dataclass(frozen=True, slots=True)
class StoredState:
    """Where a sale is kept: its hot state in Redis, its durable record in PostgreSQL."""

    redis: RedisClient
    record: PostgresReservationRepository
