"""Request bodies: strict JSON in, the JSON types the contract states, no more lenient.

Two layers, both here:

- ``StrictJSONRequest`` (the app's request class) reads a body only when it is declared JSON,
  not nested deeper than ``MAX_JSON_DEPTH`` (checked by a linear scan *before* msgspec's
  recursive decoder runs) and free of duplicate object keys. Refusing a body that a lenient
  parser would read one way and another parser another way is what a strict API does
  (``docs/adr/0008-hostile-input.md``).
- ``strict_body`` converts the decoded JSON to a wire shape by JSON Schema's rules, where
  ``5.0`` is an integer and ``"5"`` is not. Litestar converts leniently (``"5"`` becomes 5,
  ``0`` becomes 1970-01-01), so handlers take their body as ``JSONBody[SkipValidation[Shape]]``
  (documented as ``Shape``, passed through as decoded JSON) and convert it here.

No function here recurses over client data: a walk keeps its own stack.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec
from litestar import Request
from litestar.exceptions import HTTPException, ValidationException

Shape = TypeVar("Shape", bound=msgspec.Struct)

MAX_JSON_DEPTH = 32
"""Arrays and objects inside each other. The deepest body of API v1 is 2; 32 leaves room for
every later shape while keeping every walk over client data short."""

JSON_MEDIA_TYPE = re.compile(r"application/(?:[A-Za-z0-9.+-]+\+)?json")
"""``application/json`` and structured syntax suffixes (RFC 6839), such as ``+json``."""

_STRING_OR_BRACKET = re.compile(rb'"(?:[^"\\]|\\.?)*+(?:"|\Z)|[\[\]{}]', re.DOTALL)
"""A whole JSON string or one bracket. A string that never ends runs to the end of the body
(possessively, so the scan stays linear instead of restarting at every quote inside it)."""

_STRING = re.compile(rb'"(?:[^"\\]|\\.?)*+(?:"|\Z)', re.DOTALL)


class StrictJSONRequest(Request[Any, Any, Any]):
    """A request whose JSON body is refused, with a 4xx, before it could cost much."""

    async def json(self) -> Any:
        body = await self.body()
        if not body:
            return await super().json()
        media_type, options = self.content_type
        charset = options.get("charset", "utf-8").lower()
        if JSON_MEDIA_TYPE.fullmatch(media_type) is None or charset not in ("utf-8", "utf8"):
            raise HTTPException(
                status_code=415,
                detail="the body must be sent as Content-Type: application/json (UTF-8)",
            )
        refuse_deep_nesting(body)
        try:
            decoded = msgspec.json.decode(body)
        except msgspec.DecodeError as error:
            raise _invalid(f"the body is not valid JSON: {error}") from None
        refuse_duplicate_keys(body, decoded)
        return decoded


def refuse_deep_nesting(body: bytes) -> None:
    """Raises a 400 when arrays and objects nest deeper than ``MAX_JSON_DEPTH`` outside
    strings. Linear in the body's length, and free when it has few brackets at all."""
    if body.count(b"[") + body.count(b"{") <= MAX_JSON_DEPTH:
        return
    depth = 0
    for token in _STRING_OR_BRACKET.findall(body):
        if token in (b"[", b"{"):
            depth += 1
            if depth > MAX_JSON_DEPTH:
                raise _invalid(f"the body nests arrays and objects deeper than {MAX_JSON_DEPTH}")
        elif token in (b"]", b"}"):
            # Never below zero: closers before any opener must not buy depth for later ones.
            depth = max(depth - 1, 0)


def refuse_duplicate_keys(body: bytes, decoded: object) -> None:
    """Raises a 400 when an object of ``body`` names a key twice (the decoder kept the last).

    Outside strings, a colon is a key's separator and nothing else, so the body has as many
    keys as colons there; the decoded objects have fewer exactly when a key came twice.
    """
    written = _STRING.sub(b'""', body).count(b":")
    if written and written != _decoded_keys(decoded):
        raise _invalid("an object in the body names the same key twice")


def _decoded_keys(root: object) -> int:
    keys, stack = 0, [root]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            keys += len(value)
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    return keys


def strict_body(shape: type[Shape], decoded_json: object) -> Shape:
    try:
        return msgspec.convert(_integral_numbers_as_ints(decoded_json), shape, strict=True)
    except msgspec.ValidationError as error:
        raise ValidationException(
            "the body does not match its schema", extra=[{"message": str(error), "source": "body"}]
        ) from None


def _integral_numbers_as_ints(root: object) -> object:
    """A copy of ``root`` in which every float with an integral value is an int."""
    top: list[object] = [root]
    stack: list[tuple[Any, Any]] = [(top, 0)]
    while stack:
        container, index = stack.pop()
        value = container[index]
        if isinstance(value, float) and value.is_integer():
            container[index] = int(value)
        elif isinstance(value, dict):
            container[index] = members = dict(value)
            stack.extend((members, key) for key in members)
        elif isinstance(value, list):
            container[index] = items = list(value)
            stack.extend((items, position) for position in range(len(items)))
    return top[0]


def _invalid(detail: str) -> ValidationException:
    return ValidationException(detail, extra=[{"message": detail, "source": "body"}])
