"""Messages: unique, stable ids and a strict JSON shape."""

from __future__ import annotations

import pytest

from ticketing_core import MessageType, Reservation, ReservationMessage, ReservationStatus

HOLD = Reservation("r1", "e1", "u1", 2, ReservationStatus.PENDING, 1_000, 61_000, 1_000)


def test_each_change_of_a_reservation_has_its_own_stable_message_id() -> None:
    created = ReservationMessage.of(HOLD)
    confirmed = ReservationMessage.of(HOLD.moved_to(ReservationStatus.CONFIRMED, 2_000))
    assert created.message_id == ReservationMessage.of(HOLD).message_id
    assert created.message_id != confirmed.message_id
    assert (created.type, confirmed.type) == (MessageType.CREATED, MessageType.CONFIRMED)
    assert created.key == confirmed.key == "r1"


def test_a_message_survives_its_json_shape() -> None:
    message = ReservationMessage.of(HOLD.moved_to(ReservationStatus.EXPIRED, 61_000))
    assert ReservationMessage.from_dict(message.to_dict()) == message
    assert set(message.to_dict()) >= {
        "messageId", "type", "schemaVersion", "reservationId", "eventId", "userId",
        "quantity", "status", "createdAt", "expiresAt", "occurredAt",
    }  # fmt: skip


@pytest.mark.parametrize(
    "damage",
    [
        {"schemaVersion": 99},
        {"quantity": "2"},
        {"status": "LOST"},
        {"type": "reservation.confirmed"},
        {"userId": ""},
    ],
)
def test_a_damaged_message_is_refused(damage: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=r"."):
        ReservationMessage.from_dict(ReservationMessage.of(HOLD).to_dict() | damage)


def test_a_message_missing_a_field_is_refused() -> None:
    data = ReservationMessage.of(HOLD).to_dict()
    del data["eventId"]
    with pytest.raises(ValueError, match="malformed"):
        ReservationMessage.from_dict(data)
