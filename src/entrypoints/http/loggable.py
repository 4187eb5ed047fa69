"""Client strings made safe to write into a log line."""

from __future__ import annotations

LOGGED_CHARACTERS = 200
"""Of any client string a log line quotes, *after* escaping: a bad request costs the log a
bounded number of bytes, however many escapes its characters need."""


def loggable(text: str, limit: int = LOGGED_CHARACTERS) -> str:
    """``text`` in printable ASCII: line breaks, NUL, other control and format characters and
    everything non-ASCII escaped (``\\n``, ``\\x00``, ``\\u202e``), so that a client can
    neither forge a log line nor hide text in one; at most ``limit`` characters of it (an
    escape is never cut), then how many characters were left out.

    The limit holds for the escaped text: one character escapes to up to ten (``\\U0001f600``),
    so cutting the input instead would let 200 characters write 2,000 bytes."""
    shown = text[:limit].encode("unicode_escape").decode("ascii")
    if len(shown) <= limit and len(text) <= limit:
        return shown
    kept: list[str] = []
    length = 0
    for index, character in enumerate(text):
        escaped = character.encode("unicode_escape").decode("ascii")
        if length + len(escaped) > limit:
            return "".join(kept) + f"...(+{len(text) - index} characters)"
        kept.append(escaped)
        length += len(escaped)
    return "".join(kept)
