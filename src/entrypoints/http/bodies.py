"""Request bodies with the JSON types the contract states, no more lenient.

Litestar converts bodies leniently (``"5"`` becomes 5, ``0`` becomes 1970-01-01), which would
accept what the OpenAPI document says is invalid. Handlers therefore take their body as
``JSONBody[SkipValidation[Shape]]`` (documented as ``Shape``, passed through as decoded JSON)
and convert it here, strictly: by JSON Schema's rules, where ``5.0`` is an integer and
``"5"`` is not.
"""

from __future__ import annotations

from typing import TypeVar

import msgspec
from litestar.exceptions import ValidationException

Shape = TypeVar("Shape", bound=msgspec.Struct)


def strict_body(shape: type[Shape], decoded_json: object) -> Shape:
    try:
        return msgspec.convert(_integral_numbers_as_ints(decoded_json), shape, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException(
            "the body does not match its schema", extra=[{"message": str(error), "source": "body"}]
        ) from None


def _integral_numbers_as_ints(value: object) -> object:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {key: _integral_numbers_as_ints(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_integral_numbers_as_ints(item) for item in value]
    return value
