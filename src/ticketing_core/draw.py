"""The drawn pre-queue: the documented function that orders everyone who entered before the
opening, and the commitment that proves the seed was fixed before anyone entered.

The order of the entrants is ``sorted(entrants, key=lambda user: (draw_key(seed, user),
user))``: each user's key is the SHA-1 of ``seed + ":" + userId`` (UTF-8), in lowercase hex.
SHA-1 because it is what Redis's scripts can compute (``redis.sha1hex``), so the draw runs in
the store, in the admission steps of the opening, where the entrants are fixed; its weakness
to chosen collisions does not matter here: the seed stays secret until the draw is done, and
its SHA-256 (``commitment``) is published when the sale is created, so it cannot be chosen
afterwards.
Anyone with the seed and the set of entrants recomputes the order (``ticketing verify-draw``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

DRAW_PART = 1_000
"""Entrants per recorded part of a draw: each part is one message, well under Kafka's limit."""


def commitment(seed: str) -> str:
    """SHA-256 of the seed's 64 hex digits (as ASCII), in lowercase hex."""
    return hashlib.sha256(seed.encode("ascii")).hexdigest()


def draw_key(seed: str, user_id: str) -> str:
    return hashlib.sha1(f"{seed}:{user_id}".encode(), usedforsecurity=False).hexdigest()


def drawn_order(seed: str, entrants: Iterable[str]) -> list[str]:
    return sorted(entrants, key=lambda user: (draw_key(seed, user), user))
