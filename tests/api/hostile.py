"""Hypothesis strategies for hostile input: raw bytes and JSON text, not the OpenAPI schema.

Schemathesis generates what the document describes; these generate what an attacker sends:
JSON as *text* (so a number can have 20,000 digits, a string a lone surrogate escape, an object
the same key twice, arrays 100,000 levels deep), dates at the edges of what a ``datetime`` can
hold with every offset, every control and format character, encoded separators and NUL in
paths, any byte in a header. Every strategy here answers ``bytes`` (or ``str`` for paths), ready
to be sent as is.
"""

from __future__ import annotations

import json
import string
from collections.abc import Sequence

from hypothesis import strategies as st

MAX_DEPTH = 100_000
"""The deepest nesting generated. Deep bodies are over the 64 KiB body limit (413): still a 4xx."""

NESTING_EDGES = (0, 1, 2, 31, 32, 33, 64, 489, 490, 491, 999, 1_000, 1_001, 13_106, 32_768)
"""Around ``MAX_JSON_DEPTH`` (32), where the old recursive walk (~490) and msgspec (~1,000)
broke, and where a body of brackets reaches 64 KiB."""

SPEC_INTEGERS: dict[str, tuple[int, int]] = {
    "totalSeats": (1, 10_000_000),
    "maxPerUser": (1, 100),
    "admissionRatePerSecond": (1, 100_000),
    "maxActiveUsers": (1, 1_000_000),
    "admissionTtlSeconds": (1, 86_400),
    "holdTtlSeconds": (1, 86_400),
    "quantity": (1, 100),
}
"""Every bounded integer of SPEC section 4 (and the reserve's quantity), inclusive."""

SPEC_LENGTHS: dict[str, tuple[int, int]] = {
    "name": (1, 200),
    "eventId": (1, 64),
    "userId": (1, 128),
}
"""Every bounded string, in characters, inclusive."""

hostile_characters = st.characters(categories=["Cc", "Cf", "Zl", "Zp"])
"""Control characters, format characters (zero-width, bidi overrides, BOM), line and paragraph
separators: Unicode's categories Cc, Cf, Zl and Zp."""

LONE_SURROGATES = (r"\ud800", r"\udbff", r"\udc00", r"\udfff", r"\udc00\ud800", r"\ud83d")
"""JSON escapes of UTF-16 halves that are no character (UTF-8 cannot carry them raw)."""

ID_CHARACTERS = string.ascii_letters + string.digits + "_.:@-"

FLOAT_EDGES = (
    "5.0",
    "5.5",
    "-0.0",
    "-0",
    "0e0",
    "0.0e-0",
    "1.0e0",
    "1e2",
    "1E+2",
    "0.1e1",
    "0.99999999999999999999",
    "1.00000000000000000001",
    "1e308",
    "1.7976931348623157e308",
    "1e309",
    "-1e309",
    "2.2250738585072014e-308",
    "5e-324",
    "1e-400",
    "1e99999999999999999999",
    "9007199254740993.0",
)
"""Float literals at the edges of an IEEE double, and integral ones (``5.0`` is an integer to
JSON Schema)."""

MALFORMED_NUMBERS = (
    "01",
    "+1",
    ".5",
    "1.",
    "-",
    "1e",
    "1e+",
    "NaN",
    "Infinity",
    "-Infinity",
    "0x10",
    "1_000",
    "1,5",
    "\u0661",
    "\uff11",
)
"""Not JSON numbers, though some parsers take them."""


def _text_literal(text: str) -> bytes:
    return json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")


def integer_literals(low: int, high: int) -> st.SearchStrategy[bytes]:
    """Numbers at and past ``low..high``, as integer, float and exponent literals."""
    edges = sorted(
        {low - 1, low, low + 1, high - 1, high, high + 1, 0, -1, -high, 2**31, 2**53 + 1}
        | {2**63 - 1, 2**63, 2**64, -(2**63), -(2**63) - 1}
    )
    spelled = st.sampled_from(edges).flatmap(
        lambda n: st.sampled_from((f"{n}", f"{n}.0", f"{n}.5", f"{n}e0", f"{n}.000000000000000001"))
    )
    return st.one_of(
        spelled,
        st.sampled_from(FLOAT_EDGES),
        huge_integer_texts(),
        st.integers().map(str),
        st.floats(allow_nan=False, allow_infinity=False).map(repr),
        st.sampled_from(MALFORMED_NUMBERS),
    ).map(lambda text: text.encode("utf-8"))


def huge_integer_texts() -> st.SearchStrategy[str]:
    """Integer literals of thousands of digits (Python refuses to *print* ints over 4,300)."""
    return st.builds(
        lambda sign, digit, length: sign + digit * length,
        st.sampled_from(("", "-")),
        st.sampled_from(("9", "1")),
        st.sampled_from((19, 20, 309, 4_300, 4_301, 20_000)) | st.integers(20, 30_000),
    )


def string_literals(around: str = "") -> st.SearchStrategy[bytes]:
    """JSON strings (quotes included) made of hostile pieces and, here and there, ``around``
    (a valid value, so that ``"bob\\n"`` and ``"\\u200bshow"`` come up): raw control and
    format characters (raw C0 characters are invalid JSON), their ``\\u`` escapes, lone
    surrogate escapes and ordinary id characters."""
    pieces = st.one_of(
        hostile_characters.map(lambda c: json.dumps(c, ensure_ascii=False)[1:-1]),
        hostile_characters.map(lambda c: json.dumps(c)[1:-1]),
        st.characters(max_codepoint=0x1F),
        st.sampled_from(LONE_SURROGATES),
        st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=6),
        st.just(around) if around else st.nothing(),
    )
    return st.lists(pieces, max_size=10).map(
        lambda parts: ('"' + "".join(parts) + '"').encode("utf-8", "surrogatepass")
    )


def strings_at_length_bounds(low: int, high: int) -> st.SearchStrategy[bytes]:
    """Valid-character strings of ``low - 1``, ``low``, ``high``, ``high + 1`` characters, and
    one of about 60 KB (a body just under the 64 KiB limit)."""
    lengths = st.sampled_from(sorted({max(low - 1, 0), low, high, high + 1, 60_000}))
    return st.builds(
        lambda character, length: _text_literal(character * length),
        st.sampled_from(("a", "\u00e9", "\U0001f600", "\u200b")),
        lengths,
    )


def moment_texts() -> st.SearchStrategy[str]:
    """RFC 3339 date-times at the edges of the representable range, with every offset
    (-23:59..+23:59 and past it), fractional seconds, lowercase ``t``/``z``, leap seconds."""
    year = st.sampled_from(("0000", "0001", "0002", "1969", "1970", "1971", "2038", "9998", "9999"))
    month = st.sampled_from(("01", "02", "12", "00", "13"))
    day = st.sampled_from(("01", "28", "29", "30", "31", "00", "32"))
    clock = st.sampled_from(
        ("00:00:00", "00:30:00", "23:30:00", "23:59:59", "23:59:60", "24:00:00")
    )
    fraction = st.sampled_from(("", ".0", ".5", ".999", ".999999", ".9999999", ".123456789123"))
    separator = st.sampled_from(("T", "t", " ", "_"))
    offset = st.one_of(
        st.sampled_from(("Z", "z", "+00:00", "-00:00", "", "+24:00", "-24:00", "+23:60", "+0100")),
        st.builds(
            lambda sign, hours, minutes: f"{sign}{hours:02d}:{minutes:02d}",
            st.sampled_from("+-"),
            st.integers(0, 23),
            st.integers(0, 59),
        ),
    )
    built = st.builds(
        "{}-{}-{}{}{}{}{}".format,
        year,
        month,
        day,
        separator,
        clock,
        fraction,
        offset,
    )
    named = st.sampled_from(
        (
            "9999-12-31T23:30:00-01:00",
            "0001-01-01T00:30:00+01:00",
            "9999-12-31T23:59:59.999Z",
            "9999-12-31T23:59:59.9999Z",
            "1970-01-01T00:00:00Z",
            "1969-12-31T23:59:59.999Z",
            "1970-01-01T00:00:00+00:01",
            "1970-01-01T00:00:00-23:59",
            "9999-12-31T23:59:59+23:59",
            "0001-01-01T00:00:00-23:59",
            "2016-12-31T23:59:60Z",
            "1970-01-01",
            "T00:00:00Z",
            "",
        )
    )
    return st.one_of(built, named)


def moment_literals() -> st.SearchStrategy[bytes]:
    """Date-times as JSON strings, and the non-strings a lenient parser turns into dates."""
    return st.one_of(
        moment_texts().map(_text_literal),
        st.sampled_from((b"0", b"-1", b"253402300800", b"1e20", b"true", b"[2030,1,1]")),
    )


def nesting(depth: int, kind: str) -> bytes:
    """``depth`` arrays or objects inside each other, closed or not (bytes, never recursion)."""
    if kind == "arrays":
        return b"[" * depth + b"]" * depth
    if kind == "objects":
        return b'{"a":' * depth + b"0" + b"}" * depth
    if kind == "mixed":
        half = depth // 2
        return b'[{"a":' * half + b"0" + b"}]" * half
    if kind == "unclosed":
        return b"[" * depth
    # Brackets inside a string are text, not nesting: a strict scan must still accept them.
    return b'"' + b"[" * depth + b'"'


NESTING_KINDS = ("arrays", "objects", "mixed", "unclosed", "in_a_string")

depths = st.one_of(st.sampled_from((*NESTING_EDGES, MAX_DEPTH)), st.integers(0, MAX_DEPTH))

nested_literals = st.builds(nesting, depths, st.sampled_from(NESTING_KINDS))

other_literals = st.sampled_from(
    (b"null", b"true", b"false", b"[]", b"{}", b'""', b"[1]", b'{"":0}', b"[null]")
)


def value_literals(field: str, valid: str = "") -> st.SearchStrategy[bytes]:
    """A hostile value for ``field``: mostly its own kind at and past its bounds, else anything."""
    anything = st.one_of(string_literals(valid), moment_literals(), nested_literals, other_literals)
    if field in SPEC_INTEGERS:
        return st.one_of(integer_literals(*SPEC_INTEGERS[field]), anything)
    if field in SPEC_LENGTHS:
        return st.one_of(
            string_literals(valid), strings_at_length_bounds(*SPEC_LENGTHS[field]), anything
        )
    if field == "opensAt":
        return st.one_of(moment_literals(), anything)
    return st.one_of(anything, integer_literals(0, 0))


def json_object(members: Sequence[tuple[bytes, bytes]]) -> bytes:
    """An object of (key literal, value literal) members, written as they are (keys may repeat)."""
    return b"{" + b",".join(key + b":" + value for key, value in members) + b"}"


def field_name(name: str) -> bytes:
    return _text_literal(name)


@st.composite
def hostile_bodies(draw: st.DrawFn, valid: dict[str, str | int]) -> bytes:
    """A body derived from the ``valid`` one: fields replaced, dropped, added (deep nesting in
    an extra field), named twice; or a body that is not that object at all."""
    # (field name, key literal, value literal); an extra member has a name of no field.
    members = [
        (name, field_name(name), json.dumps(value).encode()) for name, value in valid.items()
    ]
    if draw(st.integers(0, 5)) == 0:
        return draw(whole_bodies(json_object([member[1:] for member in members])))
    for _ in range(draw(st.integers(1, 3))):
        mutation = draw(st.sampled_from(("replace", "replace", "extra", "duplicate", "drop")))
        index = draw(st.integers(0, len(members) - 1))
        name, key, value = members[index]
        if mutation == "replace":
            members[index] = (name, key, draw(value_literals(name, str(valid.get(name, "")))))
        elif mutation == "extra":
            extra_key = draw(st.one_of(string_literals(), st.just(b'"extra"')))
            extra_value = draw(st.one_of(nested_literals, other_literals))
            members.insert(index, ("", extra_key, extra_value))
        elif mutation == "duplicate":
            twin = draw(st.one_of(st.just(value), value_literals(name)))
            members.insert(index, (name, key, twin))
        elif len(members) > 1:
            del members[index]
    return json_object([member[1:] for member in members])


def whole_bodies(valid: bytes) -> st.SearchStrategy[bytes]:
    """Bodies that are not the expected object: raw bytes, deep nesting, other JSON values, the
    valid body truncated, with a BOM, a NUL, trailing data, in UTF-16, or over 64 KiB."""
    return st.one_of(
        st.binary(max_size=300),
        nested_literals,
        other_literals,
        st.sampled_from((b"", b" ", b"1", b'"x"', b"\x00", b"\xff\xfe", b"\xef\xbb\xbf")),
        st.sampled_from(
            (
                valid[:-1],
                b"\xef\xbb\xbf" + valid,
                valid + b"\x00",
                valid + b"garbage",
                valid + valid,
                b"[" + valid + b"]",
                valid.decode().encode("utf-16"),
                valid.replace(b":", b"=", 1),
                valid + b" " * 70_000,
            )
        ),
    )


CONTENT_TYPES: tuple[bytes | None, ...] = (
    None,
    b"",
    b"text/plain",
    b"text/plain; charset=utf-8",
    b"application/x-www-form-urlencoded",
    b"multipart/form-data; boundary=hostile",
    b"application/json;charset=latin-1",
    b"application/json; charset=utf-16",
    b"application/json; charset=UTF-8",
    b'application/json; charset="utf-8"',
    b"application/json; charset=\x00",
    b"application/problem+json",
    b"application/jsonp",
    b"application/json, text/plain",
    b"APPLICATION/JSON",
    b"application/*",
    b"*/*",
    b"application/json\x00",
    b"application/json\n",
    b"\xff\xfe",
)
"""Everything a body can be declared as that is not plainly ``application/json``."""

JSON = b"application/json"

content_types = st.one_of(
    st.just(JSON), st.just(JSON), st.just(JSON), st.sampled_from(CONTENT_TYPES)
)
"""Mostly JSON, so that most generated bodies are read; a quarter declared otherwise."""


VALID = b"{valid}"
"""In a generated header value, where the test puts the route's valid value (a live token,
the admin key): a value cannot be known when examples are generated, only when they run."""
VALID_CUT = b"{valid-1}"
"""The valid value without its last character."""


def materialize(template: bytes, valid: bytes) -> bytes:
    return template.replace(VALID_CUT, valid[:-1]).replace(VALID, valid)


def header_values() -> st.SearchStrategy[bytes]:
    """Header values as bytes, which httpx sends as they are over ASGI (a real server would
    refuse CR, LF and NUL first): control and format characters, Latin-1 and UTF-8 bytes, the
    valid value (``VALID``) with something before, after or instead of its end, 8 KB."""
    pieces = st.one_of(
        hostile_characters.map(lambda c: c.encode("utf-8")),
        st.binary(min_size=1, max_size=4),
        st.text(alphabet=ID_CHARACTERS, min_size=1, max_size=6).map(str.encode),
        st.sampled_from((VALID, VALID_CUT, b".", b"=", b" ", b"\t", b"Bearer ", b"bearer")),
    )
    return st.one_of(
        st.lists(pieces, max_size=8).map(b"".join),
        st.sampled_from((b"", b" ", b"\t", b"a" * 8_192, b"\xc0\x80", b"\xed\xa0\x80", VALID * 30)),
    )


PATH_PIECES = (
    "%2F",
    "%2f",
    "%5C",
    "%5c",
    "%00",
    "%0a",
    "%0d%0a",
    "%0D%0AX-Forged:%20yes",
    "..",
    "%2e%2e",
    ".%2e",
    ".",
    "%2e",
    "..%2F..%2Fpyproject.toml",
    "..%5C..%5Csettings.py",
    "%252F",
    "%25",
    "%",
    "%zz",
    "%c0%ae",
    "%ff",
    "%ed%a0%80",
    "%e2%80%ae",
    "%e2%80%8b",
    "%e2%80%a8",
    "%f0%9f%98%80" * 250,
    "a" * 300,
    ";",
    "%3B",
    "?",
    "%3F",
    "%23",
    "~",
    "%20",
    "+",
)
"""Path text as a client puts it on the wire (percent-encoded): encoded separators, NUL, line
breaks, dot segments, invalid UTF-8, a surrogate encoded in UTF-8, bidi overrides, long runs.
A raw ``#`` is left out: httpx refuses it in a path, as it should (it ends a URL's path)."""

path_segments = st.lists(
    st.one_of(
        st.sampled_from(PATH_PIECES), st.text(alphabet=string.ascii_letters + "-", max_size=5)
    ),
    min_size=1,
    max_size=5,
).map("".join)
