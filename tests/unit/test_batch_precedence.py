"""Collapsing a batch to one message per reservation, by the status precedence rule."""

from __future__ import annotations

from adapters.postgres.precedence import collapse
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus

PENDING, CONFIRMED, CANCELLED = (
    ReservationStatus.PENDING,
    ReservationStatus.CONFIRMED,
    ReservationStatus.CANCELLED,
)


def message(reservation_id: str, status: ReservationStatus) -> ReservationMessage:
    return ReservationMessage.of(
        Reservation(reservation_id, "sale", "user", 1, status, 1_000, 601_000, 2_000)
    )


def test_a_terminal_status_beats_pending_whatever_the_order() -> None:
    for batch in (
        [message("r", PENDING), message("r", CONFIRMED)],
        [message("r", CONFIRMED), message("r", PENDING)],
    ):
        assert collapse(batch) == [message("r", CONFIRMED)]


def test_the_first_terminal_status_stays() -> None:
    batch = [message("r", PENDING), message("r", CANCELLED), message("r", CONFIRMED)]

    assert collapse(batch) == [message("r", CANCELLED)]


def test_repeats_collapse_and_reservations_come_out_sorted_by_id() -> None:
    batch = [message("b", PENDING), message("a", PENDING), message("b", PENDING)]

    assert collapse(batch) == [message("a", PENDING), message("b", PENDING)]
