"""Events, reservations and their messages, built for the PostgreSQL, Kafka and worker tests."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus
from ticketing_core.settings import EventSettings

T0 = 1_900_000_000_000
"""A fixed epoch-millisecond instant: timestamps read back must equal it exactly."""
HOLD_MS = 600_000


def event_settings(event_id: str = "sale-1", total_seats: int = 100_000) -> EventSettings:
    return EventSettings(
        event_id=event_id,
        name="Integration sale",
        total_seats=total_seats,
        max_per_user=4,
        opens_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


def created(event_id: str = "sale-1", user: str = "alice", quantity: int = 2) -> ReservationMessage:
    """The ``reservation.created`` message of a new hold."""
    reservation = Reservation(
        reservation_id=str(uuid.uuid4()),
        event_id=event_id,
        user_id=user,
        quantity=quantity,
        status=ReservationStatus.PENDING,
        created_at=T0,
        expires_at=T0 + HOLD_MS,
        updated_at=T0,
    )
    return ReservationMessage.of(reservation)


def moved(
    message: ReservationMessage, status: ReservationStatus, after_ms: int = 1_000
) -> ReservationMessage:
    """The message of the same reservation's later move to ``status``."""
    reservation = message.reservation
    return ReservationMessage.of(reservation.moved_to(status, reservation.created_at + after_ms))
