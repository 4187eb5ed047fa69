"""The record of a campaign: every request a client made and what it was answered, the faults
injected, and what the stack held at the end. The checker reads nothing else."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any


@dataclass(frozen=True, slots=True)
class Op:
    """One request: ``status`` is the HTTP status, or None when no answer came (``error``
    says why: ``refused`` when the instance was not there, ``timeout`` past the client's)."""

    kind: str
    """enter, leave, status, stream, reserve, confirm, cancel"""
    event_id: str
    user: str
    started: float
    ended: float
    status: int | None
    error: str | None = None
    reservation_id: str | None = None
    queue_status: str | None = None
    """For ``status``: WAITING, ADMITTED, ... as answered."""


@dataclass(frozen=True, slots=True)
class Row:
    """A reservation as PostgreSQL holds it at the end."""

    reservation_id: str
    event_id: str
    user: str
    quantity: int
    status: str


@dataclass(frozen=True, slots=True)
class Sale:
    event_id: str
    total_seats: int
    max_per_user: int
    remaining: int
    """Redis's stats at the end, as the API answered them."""
    pending: int
    confirmed: int


@dataclass
class History:
    seed: int
    ops: list[Op] = field(default_factory=list)
    faults: list[str] = field(default_factory=list)
    """Each fault injected: ``<signal> <target>``, e.g. ``SIGKILL redis``."""
    rows: list[Row] = field(default_factory=list)
    sales: list[Sale] = field(default_factory=list)

    def dump(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self)))

    @classmethod
    def load(cls, path: Path) -> History:
        data: dict[str, Any] = json.loads(path.read_text())
        return cls(
            seed=data["seed"],
            ops=[Op(**op) for op in data["ops"]],
            faults=data["faults"],
            rows=[Row(**row) for row in data["rows"]],
            sales=[Sale(**sale) for sale in data["sales"]],
        )
