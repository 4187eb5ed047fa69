"""Domain messages: what is published for every reservation change (SPEC section 4) and for
every change an operator makes to a sale (``EventChangeMessage``), on the same topic."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from ticketing_core.changes import ChangeDetail, ChangeKind
from ticketing_core.model import Reservation, ReservationItem, ReservationStatus
from ticketing_core.settings import EventSettings

SCHEMA_VERSION = 1
CATEGORIES_SCHEMA_VERSION = 2
"""A reservation message of a sale with seat categories carries its ``items`` (version 2); one
of a sale without is written as before (version 1), and readers take both."""
_MESSAGE_NAMESPACE = uuid.UUID("6f1c2b0e-4f7a-4d7b-9a51-3c1d2e0f9b11")


class MessageType(StrEnum):
    CREATED = "reservation.created"
    CONFIRMED = "reservation.confirmed"
    CANCELLED = "reservation.cancelled"
    EXPIRED = "reservation.expired"
    EVENT_CHANGED = "event.changed"
    QUEUE_DRAWN = "queue.drawn"
    CODE_USED = "code.used"


MESSAGE_TYPE_FOR_STATUS: dict[ReservationStatus, MessageType] = {
    ReservationStatus.PENDING: MessageType.CREATED,
    ReservationStatus.CONFIRMED: MessageType.CONFIRMED,
    ReservationStatus.CANCELLED: MessageType.CANCELLED,
    ReservationStatus.EXPIRED: MessageType.EXPIRED,
}


@dataclass(frozen=True, slots=True)
class ReservationMessage:
    """One reservation change.

    ``message_id`` is derived from the reservation and the change: each reservation makes each
    change at most once, so the id is unique, and a message published twice (a relay that
    crashed before acknowledging) keeps its id, which lets consumers recognise the repeat.
    """

    message_id: str
    type: MessageType
    schema_version: int
    reservation: Reservation
    occurred_at: int

    @classmethod
    def of(cls, reservation: Reservation) -> ReservationMessage:
        kind = MESSAGE_TYPE_FOR_STATUS[reservation.status]
        name = f"{reservation.event_id}/{reservation.reservation_id}/{kind.value}"
        return cls(
            message_id=str(uuid.uuid5(_MESSAGE_NAMESPACE, name)),
            type=kind,
            schema_version=CATEGORIES_SCHEMA_VERSION if reservation.items else SCHEMA_VERSION,
            reservation=reservation,
            occurred_at=reservation.updated_at,
        )

    @property
    def key(self) -> str:
        """Partitioning key: one reservation's messages stay in order."""
        return self.reservation.reservation_id

    def to_dict(self) -> dict[str, Any]:
        r = self.reservation
        written: dict[str, Any] = {
            "messageId": self.message_id,
            "type": self.type.value,
            "schemaVersion": self.schema_version,
            "reservationId": r.reservation_id,
            "eventId": r.event_id,
            "userId": r.user_id,
            "quantity": r.quantity,
            "status": r.status.value,
            "createdAt": r.created_at,
            "expiresAt": r.expires_at,
            "occurredAt": self.occurred_at,
        }
        if r.items:
            written["items"] = [
                {"categoryId": item.category_id, "quantity": item.quantity} for item in r.items
            ]
        return written

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ReservationMessage:
        """Reads a message written by ``to_dict``; raises ``ValueError`` on anything else."""
        try:
            version = data["schemaVersion"]
            if version not in (SCHEMA_VERSION, CATEGORIES_SCHEMA_VERSION):
                raise ValueError(f"unsupported schema version {version!r}")
            items = _items(data["items"]) if version == CATEGORIES_SCHEMA_VERSION else ()
            reservation = Reservation(
                reservation_id=_text(data["reservationId"]),
                event_id=_text(data["eventId"]),
                user_id=_text(data["userId"]),
                quantity=_count(data["quantity"]),
                status=ReservationStatus(data["status"]),
                created_at=_count(data["createdAt"]),
                expires_at=_count(data["expiresAt"]),
                updated_at=_count(data["occurredAt"]),
                items=items,
            )
            message = cls(
                message_id=_text(data["messageId"]),
                type=MessageType(data["type"]),
                schema_version=version,
                reservation=reservation,
                occurred_at=reservation.updated_at,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed reservation message: {error!r}") from error
        if MESSAGE_TYPE_FOR_STATUS[reservation.status] is not message.type:
            raise ValueError(f"type {message.type} does not match status {reservation.status}")
        if items and sum(item.quantity for item in items) != reservation.quantity:
            raise ValueError("the items do not add up to the quantity")
        return message


@dataclass(frozen=True, slots=True)
class EventChangeMessage:
    """One operator's change of a sale, as it took effect: its kind and what was asked,
    who asked, when, and the settings after it but a draw's seed (so that the durable record
    can follow the sale, newest ``version`` winning, however the messages arrive).

    Its id is derived from the event and the version the change made: each version is made
    once, so a message published twice keeps its id.
    """

    message_id: str
    event_id: str
    kind: ChangeKind
    detail: ChangeDetail
    actor: str
    occurred_at: int
    settings: EventSettings
    schema_version: int = SCHEMA_VERSION
    type: MessageType = MessageType.EVENT_CHANGED

    @classmethod
    def of(
        cls,
        kind: ChangeKind,
        detail: ChangeDetail,
        actor: str,
        occurred_at: int,
        settings: EventSettings,
    ) -> EventChangeMessage:
        name = f"{settings.event_id}/change/{settings.version}"
        return cls(
            message_id=str(uuid.uuid5(_MESSAGE_NAMESPACE, name)),
            event_id=settings.event_id,
            kind=kind,
            detail=detail,
            actor=actor,
            occurred_at=occurred_at,
            # A drawn pre-queue's seed stays secret until the opening: never in a message.
            settings=settings.model_copy(update={"draw_seed": None}),
        )

    @property
    def version(self) -> int:
        return self.settings.version

    @property
    def key(self) -> str:
        """Partitioning key: one event's changes stay in order."""
        return self.event_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "type": self.type.value,
            "schemaVersion": self.schema_version,
            "eventId": self.event_id,
            "version": self.version,
            "kind": self.kind.value,
            "detail": dict(self.detail),
            "actor": self.actor,
            "occurredAt": self.occurred_at,
            "settings": self.settings.model_dump(mode="json"),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> EventChangeMessage:
        """Reads a message written by ``to_dict``; raises ``ValueError`` on anything else."""
        try:
            if data["schemaVersion"] != SCHEMA_VERSION:
                raise ValueError(f"unsupported schema version {data['schemaVersion']!r}")
            detail = data["detail"]
            if not isinstance(detail, dict) or not all(
                isinstance(v, int | str) and not isinstance(v, bool) for v in detail.values()
            ):
                raise ValueError(f"malformed change detail {detail!r}")
            settings = EventSettings.model_validate(data["settings"])
            message = cls(
                message_id=_text(data["messageId"]),
                event_id=_text(data["eventId"]),
                kind=ChangeKind(data["kind"]),
                detail=tuple(detail.items()),
                actor=_text(data["actor"]),
                occurred_at=_count(data["occurredAt"]),
                settings=settings,
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed event change message: {error!r}") from error
        if data["type"] != MessageType.EVENT_CHANGED or data["version"] != settings.version:
            raise ValueError("type or version does not match the change")
        if settings.event_id != message.event_id:
            raise ValueError("the settings name another event")
        return message


@dataclass(frozen=True, slots=True)
class DrawMessage:
    """One part of the drawn order of a sale's pre-queue (``ticketing_core.draw``): the
    entrants at positions ``first_position`` .. ``first_position + len(users) - 1`` of the
    draw, ``part`` of ``parts`` (``DRAW_PART`` entrants each). Its id derives from the event
    and the part: a sale is drawn once."""

    message_id: str
    event_id: str
    part: int
    parts: int
    first_position: int
    users: tuple[str, ...]
    occurred_at: int
    schema_version: int = SCHEMA_VERSION
    type: MessageType = MessageType.QUEUE_DRAWN

    @classmethod
    def of(
        cls,
        event_id: str,
        part: int,
        parts: int,
        first_position: int,
        users: tuple[str, ...],
        occurred_at: int,
    ) -> DrawMessage:
        name = f"{event_id}/draw/{part}"
        return cls(
            message_id=str(uuid.uuid5(_MESSAGE_NAMESPACE, name)),
            event_id=event_id,
            part=part,
            parts=parts,
            first_position=first_position,
            users=users,
            occurred_at=occurred_at,
        )

    @property
    def key(self) -> str:
        return self.event_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "type": self.type.value,
            "schemaVersion": self.schema_version,
            "eventId": self.event_id,
            "part": self.part,
            "parts": self.parts,
            "firstPosition": self.first_position,
            "users": list(self.users),
            "occurredAt": self.occurred_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DrawMessage:
        """Reads a message written by ``to_dict``; raises ``ValueError`` on anything else."""
        try:
            if data["schemaVersion"] != SCHEMA_VERSION:
                raise ValueError(f"unsupported schema version {data['schemaVersion']!r}")
            users = data["users"]
            if not isinstance(users, list):
                raise ValueError(f"expected a list of users, got {users!r}")
            message = cls(
                message_id=_text(data["messageId"]),
                event_id=_text(data["eventId"]),
                part=_count(data["part"]),
                parts=_count(data["parts"]),
                first_position=_count(data["firstPosition"]),
                users=tuple(_text(user) for user in users),
                occurred_at=_count(data["occurredAt"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed draw message: {error!r}") from error
        if not 1 <= message.part <= message.parts or message.first_position < 1:
            raise ValueError("part or position out of range")
        return message


@dataclass(frozen=True, slots=True)
class CodeUseMessage:
    """One entry a presale's access code let in: the ``use``-th of the code (by its digest),
    by ``user_id``. Its id derives from the event, the code, the use and the user: each is made
    once (the user too, as a repair may count a code's uses again from what was recorded)."""

    message_id: str
    event_id: str
    digest: str
    user_id: str
    use: int
    occurred_at: int
    schema_version: int = SCHEMA_VERSION
    type: MessageType = MessageType.CODE_USED

    @classmethod
    def of(
        cls, event_id: str, digest: str, user_id: str, use: int, occurred_at: int
    ) -> CodeUseMessage:
        name = f"{event_id}/code/{digest}/{use}/{user_id}"
        return cls(
            message_id=str(uuid.uuid5(_MESSAGE_NAMESPACE, name)),
            event_id=event_id,
            digest=digest,
            user_id=user_id,
            use=use,
            occurred_at=occurred_at,
        )

    @property
    def key(self) -> str:
        return self.event_id

    def to_dict(self) -> dict[str, Any]:
        return {
            "messageId": self.message_id,
            "type": self.type.value,
            "schemaVersion": self.schema_version,
            "eventId": self.event_id,
            "digest": self.digest,
            "userId": self.user_id,
            "use": self.use,
            "occurredAt": self.occurred_at,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> CodeUseMessage:
        """Reads a message written by ``to_dict``; raises ``ValueError`` on anything else."""
        try:
            if data["schemaVersion"] != SCHEMA_VERSION:
                raise ValueError(f"unsupported schema version {data['schemaVersion']!r}")
            message = cls(
                message_id=_text(data["messageId"]),
                event_id=_text(data["eventId"]),
                digest=_text(data["digest"]),
                user_id=_text(data["userId"]),
                use=_count(data["use"]),
                occurred_at=_count(data["occurredAt"]),
            )
        except (KeyError, TypeError) as error:
            raise ValueError(f"malformed code use message: {error!r}") from error
        if message.use < 1:
            raise ValueError("a code's uses count from 1")
        return message


Message = ReservationMessage | EventChangeMessage | DrawMessage | CodeUseMessage
"""Everything the stores record in their outbox and the bus carries."""


def message_from_dict(data: dict[str, Any]) -> Message:
    """Reads any message by its ``type``; raises ``ValueError`` on anything else."""
    if data.get("type") == MessageType.EVENT_CHANGED:
        return EventChangeMessage.from_dict(data)
    if data.get("type") == MessageType.QUEUE_DRAWN:
        return DrawMessage.from_dict(data)
    if data.get("type") == MessageType.CODE_USED:
        return CodeUseMessage.from_dict(data)
    return ReservationMessage.from_dict(data)


def draw_messages(
    event_id: str, order: list[str], occurred_at: int, part_size: int
) -> list[DrawMessage]:
    """The drawn ``order`` as the parts that record it."""
    parts = max(1, -(-len(order) // part_size))
    return [
        DrawMessage.of(
            event_id,
            part + 1,
            parts,
            part * part_size + 1,
            tuple(order[part * part_size : (part + 1) * part_size]),
            occurred_at,
        )
        for part in range(parts)
    ]


def _items(value: Any) -> tuple[ReservationItem, ...]:
    if not isinstance(value, list) or not value:
        raise ValueError(f"expected a non-empty list of items, got {value!r}")
    items = []
    for item in value:
        if not isinstance(item, dict):
            raise ValueError(f"expected an item object, got {item!r}")
        quantity = _count(item["quantity"])
        if quantity < 1:
            raise ValueError("an item holds at least one seat")
        items.append(ReservationItem(_text(item["categoryId"]), quantity))
    return tuple(items)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError(f"expected a non-empty string, got {value!r}")
    return value


def _count(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {value!r}")
    return value
