"""The wire format of reservation messages on Kafka."""

from __future__ import annotations

import json

import pytest

from ticketing_adapters.kafka.codec import decode_value, encode_key, encode_value, headers_of
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus

MESSAGE = ReservationMessage.of(
    Reservation("r-1", "sale", "alice", 2, ReservationStatus.CONFIRMED, 1_000, 601_000, 5_000)
)


def test_a_message_round_trips_through_its_json_value() -> None:
    assert decode_value(encode_value(MESSAGE)) == MESSAGE


def test_the_value_is_the_json_of_the_spec_shape_and_the_key_is_the_reservation_id() -> None:
    assert json.loads(encode_value(MESSAGE)) == MESSAGE.to_dict()
    assert encode_key(MESSAGE) == b"r-1"


def test_headers_repeat_id_type_and_schema_version() -> None:
    assert dict(headers_of(MESSAGE)) == {
        "messageId": MESSAGE.message_id.encode(),
        "type": b"reservation.confirmed",
        "schemaVersion": b"1",
        "contentType": b"application/json",
    }


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "tombstone"),
        (b"", "truncated"),
        (b"not json", "malformed"),
        (b"[1, 2]", "expected a JSON object"),
        (b'{"messageId": "x"}', "malformed reservation message"),
        (b"\xff\xfe", "malformed"),
    ],
)
def test_anything_else_is_refused_with_a_value_error(value: bytes | None, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        decode_value(value)
