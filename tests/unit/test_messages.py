"""Messages: unique, stable ids and a strict JSON shape."""

from __future__ import annotations

from dataclasses import replace

import pytest

from ticketing_core import MessageType, Reservation, ReservationMessage, ReservationStatus
from ticketing_core.messages import CodeUseMessage, message_from_dict
from ticketing_core.model import ReservationItem

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


TIERED = replace(HOLD, items=(ReservationItem("floor", 1), ReservationItem("vip", 1)))


def test_a_reservation_of_a_sale_with_categories_carries_its_items_in_schema_2() -> None:
    message = ReservationMessage.of(TIERED)
    written = message.to_dict()

    assert written["schemaVersion"] == 2
    assert written["items"] == [
        {"categoryId": "floor", "quantity": 1},
        {"categoryId": "vip", "quantity": 1},
    ]
    assert message_from_dict(written) == message
    assert ReservationMessage.of(HOLD).to_dict()["schemaVersion"] == 1, "without: as before"
    assert "items" not in ReservationMessage.of(HOLD).to_dict()


def test_a_reader_takes_both_versions_and_refuses_items_that_do_not_add_up() -> None:
    version_1 = ReservationMessage.of(HOLD).to_dict()
    assert message_from_dict(version_1) == ReservationMessage.of(HOLD)
    short = {**ReservationMessage.of(TIERED).to_dict(), "quantity": 3}
    with pytest.raises(ValueError, match="add up"):
        message_from_dict(short)
    with pytest.raises(ValueError, match="items"):
        message_from_dict({**ReservationMessage.of(TIERED).to_dict(), "items": []})


def test_a_code_use_survives_its_json_shape_and_has_one_id_per_use() -> None:
    first = CodeUseMessage.of("e1", "ab" * 32, "u1", 1, 5_000)

    assert message_from_dict(first.to_dict()) == first
    assert first.message_id == CodeUseMessage.of("e1", "ab" * 32, "u1", 1, 6_000).message_id
    assert first.message_id != CodeUseMessage.of("e1", "ab" * 32, "u1", 2, 5_000).message_id
    assert first.message_id != CodeUseMessage.of("e1", "ab" * 32, "u2", 1, 5_000).message_id
    with pytest.raises(ValueError, match="count from 1"):
        message_from_dict({**first.to_dict(), "use": 0})
