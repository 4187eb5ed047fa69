"""Turns what the scripts store and answer back into domain values (and a reservation into its
stored record, for the restore).

A reservation is stored (in ``{e}:reservations`` and in each outbox entry) as the record
``"quantity|STATUS|created_at|expires_at|updated_at|user[|items]"``, written by ``lib.lua``:
``items`` (``"category:seats,..."``) only in a sale with seat categories, so a record of a sale
without is what it was before categories. User and category ids hold none of ``|,:``.
"""

from __future__ import annotations

import json
from typing import Any

from ticketing_core.changes import ChangeKind
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.messages import (
    CodeUseMessage,
    DrawMessage,
    EventChangeMessage,
    Message,
    ReservationMessage,
)
from ticketing_core.model import Reservation, ReservationItem, ReservationStatus
from ticketing_core.settings import EventSettings

_RECORD_FIELDS = 6
_WITH_ITEMS = 7


def text(value: object) -> str:
    """A string answered by Redis (the clients are opened with ``decode_responses``)."""
    if not isinstance(value, str):
        raise TypeError(f"expected a decoded string from Redis, got {value!r}")
    return value


def record(reservation: Reservation) -> str:
    """The record of ``reservation``, as ``lib.lua`` writes it (``reservation`` reads it)."""
    r = reservation
    written = (
        f"{r.quantity}|{r.status.value}|{r.created_at}|{r.expires_at}|{r.updated_at}|{r.user_id}"
    )
    if r.items:
        written += "|" + ",".join(f"{item.category_id}:{item.quantity}" for item in r.items)
    return written


def reservation(event_id: str, reservation_id: str, record: str) -> Reservation:
    parts = record.split("|")
    if len(parts) not in (_RECORD_FIELDS, _WITH_ITEMS):
        raise ValueError(f"malformed reservation record {record!r}")
    quantity, status, created_at, expires_at, updated_at, user_id = parts[:_RECORD_FIELDS]
    items = () if len(parts) == _RECORD_FIELDS else _items(parts[-1])
    return Reservation(
        reservation_id=reservation_id,
        event_id=event_id,
        user_id=user_id,
        quantity=int(quantity),
        status=ReservationStatus(status),
        created_at=int(created_at),
        expires_at=int(expires_at),
        updated_at=int(updated_at),
        items=items,
    )


def _items(written: str) -> tuple[ReservationItem, ...]:
    items = []
    for item in written.split(","):
        category_id, _, seats = item.partition(":")
        items.append(ReservationItem(category_id, int(seats)))
    return tuple(items)


def code_record(issued: int, code: CodeUses) -> str:
    """An access code as ``lib.lua`` stores it: "issued|max_uses|uses|categories"."""
    categories = ",".join(code.code.categories or ())
    return f"{issued}|{code.code.max_uses}|{code.uses}|{categories}"


def codes(found: dict[Any, Any]) -> list[CodeUses]:
    """The codes of an event's ``codes`` hash, in the order of issue."""
    read = []
    for digest, record in found.items():
        issued, max_uses, uses, categories = text(record).split("|")
        unlocked = tuple(categories.split(",")) if categories else None
        read.append(
            (int(issued), CodeUses(AccessCode(text(digest), int(max_uses), unlocked), int(uses)))
        )
    return [code for _, code in sorted(read, key=lambda pair: pair[0])]


def reservations(event_id: str, reply: list[Any]) -> list[Reservation]:
    """Reads a script's ``{id, record, id, record, ...}`` answer."""
    return [
        reservation(event_id, text(reply[i]), text(reply[i + 1])) for i in range(0, len(reply), 2)
    ]


def outbox_message(event_id: str, reservation_id: object, record: object) -> Message:
    """An outbox entry carries the reservation as it became; the message follows from it (its
    id is derived from the reservation and the change, so it is the same on every read). An
    entry without a reservation id is an operator's change (``change_event.lua``) or a part
    of a draw (``admit.lua``), recorded as JSON."""
    if reservation_id == "":
        return recorded_message(event_id, text(record))
    return ReservationMessage.of(reservation(event_id, text(reservation_id), text(record)))


def recorded_message(
    event_id: str, recorded: str
) -> EventChangeMessage | DrawMessage | CodeUseMessage:
    """An operator's change (``change_event.lua``), a part of a draw (``admit.lua``) or a use
    of an access code (``enter.lua``)."""
    data = json.loads(recorded)
    if data.get("type") == "code.used":
        return CodeUseMessage.of(
            event_id, data["digest"], data["userId"], int(data["use"]), int(data["occurredAt"])
        )
    if data.get("type") == "queue.drawn":
        return DrawMessage.of(
            event_id,
            data["part"],
            data["parts"],
            data["firstPosition"],
            # cjson writes an empty Lua table as an object: a draw of nobody.
            tuple(data["users"] or ()),
            int(data["occurredAt"]),  # written as text: cjson would round it
        )
    return EventChangeMessage.of(
        ChangeKind(data["kind"]),
        tuple(data["detail"].items()),
        data["actor"],
        data["occurredAt"],
        EventSettings.model_validate(data["settings"]),
    )
