"""Reservation messages on the wire: JSON values of ``ReservationMessage.to_dict``, keyed by
reservation id, with the type and schema version repeated in headers so that routers and
dead-letter tooling need not parse the value."""

from __future__ import annotations

from typing import Any

import msgspec

from ticketing_core.messages import ReservationMessage

CONTENT_TYPE = b"application/json"
# The shape confluent-kafka accepts for headers (values may be text or absent on the wire).
Headers = list[tuple[str, str | bytes | None]]

_json_encoder = msgspec.json.Encoder()


def encode_key(message: ReservationMessage) -> bytes:
    return message.key.encode("utf-8")


def encode_value(message: ReservationMessage) -> bytes:
    return _json_encoder.encode(message.to_dict())


def headers_of(message: ReservationMessage) -> Headers:
    return [
        ("messageId", message.message_id.encode("utf-8")),
        ("type", message.type.value.encode("utf-8")),
        ("schemaVersion", str(message.schema_version).encode("ascii")),
        ("contentType", CONTENT_TYPE),
    ]


def decode_value(value: bytes | None) -> ReservationMessage:
    """Reads a message value; raises ``ValueError`` for anything that is not one."""
    if value is None:
        raise ValueError("a message without a value (tombstone) is not a reservation message")
    data: Any = msgspec.json.decode(value)  # msgspec.DecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return ReservationMessage.from_dict(data)
