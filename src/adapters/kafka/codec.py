"""Messages on the wire: JSON values of ``ReservationMessage.to_dict`` (keyed by reservation
id), ``EventChangeMessage.to_dict`` and ``DrawMessage.to_dict`` (keyed by event id), on one
topic, with the type and
schema version repeated in headers so that routers and dead-letter tooling need not parse the
value."""

from __future__ import annotations

from typing import Any

import msgspec

from ticketing_core.messages import Message, message_from_dict

CONTENT_TYPE = b"application/json"
# The shape confluent-kafka accepts for headers (values may be text or absent on the wire).
Headers = list[tuple[str, str | bytes | None]]

_json_encoder = msgspec.json.Encoder()


def encode_key(message: Message) -> bytes:
    return message.key.encode("utf-8")


def encode_value(message: Message) -> bytes:
    return _json_encoder.encode(message.to_dict())


def headers_of(message: Message) -> Headers:
    return [
        ("messageId", message.message_id.encode("utf-8")),
        ("type", message.type.value.encode("utf-8")),
        ("schemaVersion", str(message.schema_version).encode("ascii")),
        ("contentType", CONTENT_TYPE),
    ]


def decode_value(value: bytes | None) -> Message:
    """Reads a message value; raises ``ValueError`` for anything that is not one."""
    if value is None:
        raise ValueError("a message without a value (tombstone) is not a ticketing message")
    data: Any = msgspec.json.decode(value)  # msgspec.DecodeError is a ValueError
    if not isinstance(data, dict):
        raise ValueError(f"expected a JSON object, got {type(data).__name__}")
    return message_from_dict(data)
