"""Explicit translation between the domain's types and the wire schemas.

Domain time is epoch milliseconds; the wire carries RFC 3339 UTC moments (msgspec writes an
aware UTC datetime with a ``Z``).
"""

from __future__ import annotations

import secrets

import msgspec

from ticketing_core.changes import ChangeKind
from ticketing_core.clock import to_datetime
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.draw import commitment
from ticketing_core.errors import InvalidInput
from ticketing_core.messages import EventChangeMessage
from ticketing_core.model import (
    EventStats,
    QueueStatus,
    QueueView,
    Reservation,
    ReservationItem,
    ReservationStatus,
)
from ticketing_core.settings import EventSettings, EventState, Presale, SeatCategory
from ticketing_entrypoints.http import schemas

QUEUE_STATUS: dict[QueueStatus, schemas.QueueStatusName] = {
    QueueStatus.WAITING: "WAITING",
    QueueStatus.ADMITTED: "ADMITTED",
    QueueStatus.COMPLETED: "COMPLETED",
    QueueStatus.EXPIRED: "EXPIRED",
    QueueStatus.SOLD_OUT: "SOLD_OUT",
    QueueStatus.CLOSED: "CLOSED",
    QueueStatus.ABANDONED: "ABANDONED",
}
EVENT_STATE: dict[EventState, schemas.EventStateName] = {
    EventState.OPEN: "OPEN",
    EventState.PAUSED: "PAUSED",
    EventState.CLOSED: "CLOSED",
}
RESERVATION_STATUS: dict[ReservationStatus, schemas.ReservationStatusName] = {
    ReservationStatus.PENDING: "PENDING",
    ReservationStatus.CONFIRMED: "CONFIRMED",
    ReservationStatus.CANCELLED: "CANCELLED",
    ReservationStatus.EXPIRED: "EXPIRED",
}


def event_settings(body: schemas.NewEvent, event_id: str, now_ms: int) -> EventSettings:
    """Settings for a new event; ``opensAt`` defaults to now. Raises pydantic's ValidationError
    (``InvalidInput`` for a sale with neither seats nor categories)."""
    derived: dict[str, object] = {}  # with categories, the seats and the limit follow from them
    if body.categories is not None:
        derived["categories"] = [
            SeatCategory(
                category_id=c.category_id,
                name=c.name,
                seats=c.seats,
                max_per_user=c.max_per_user,
                price=c.price,
            )
            for c in body.categories
        ]
    elif body.total_seats is None:
        raise InvalidInput("totalSeats: required for a sale without categories")
    if body.total_seats is not None:
        derived["total_seats"] = body.total_seats
    if body.max_per_user is not None or body.categories is None:
        derived["max_per_user"] = body.max_per_user or 1
    if body.presale is not None:
        derived["presale"] = Presale(
            opens_at=body.presale.opens_at, closes_at=body.presale.closes_at
        )
    return EventSettings(
        **derived,
        event_id=event_id,
        name=body.name,
        opens_at=body.opens_at if body.opens_at is not None else to_datetime(now_ms),
        admission_rate_per_second=body.admission_rate_per_second,
        max_active_users=body.max_active_users,
        admission_ttl_seconds=body.admission_ttl_seconds,
        hold_ttl_seconds=body.hold_ttl_seconds,
        presence_timeout_seconds=body.presence_timeout_seconds,
        draw_at_opening=body.draw_at_opening,
        entry_work_bits=body.entry_work_bits,
        entry_grant_required=body.entry_grant_required,
        draw_seed=secrets.token_hex(32) if body.draw_at_opening else None,
    )


def setting_changes(body: schemas.EventChanges) -> dict[str, int | str]:
    """The settings the body names, by the domain's names."""
    return {
        name: value for name, value in msgspec.structs.asdict(body).items() if value is not None
    }


_WIRE_NAME_OF_SETTING = {
    field.name: field.encode_name for field in msgspec.structs.fields(schemas.EventChanges)
}
CHANGE_KIND: dict[ChangeKind, schemas.ChangeKindName] = {
    ChangeKind.SETTINGS: "settings",
    ChangeKind.PAUSE: "pause",
    ChangeKind.RESUME: "resume",
    ChangeKind.CLOSE: "close",
    ChangeKind.SEATS: "seats",
}


def event_change(change: EventChangeMessage) -> schemas.EventChange:
    return schemas.EventChange(
        version=change.version,
        kind=CHANGE_KIND[change.kind],
        detail={_WIRE_NAME_OF_SETTING.get(name, name): value for name, value in change.detail},
        actor=change.actor,
        occurred_at=to_datetime(change.occurred_at),
        state=EVENT_STATE[change.settings.state],
        total_seats=change.settings.total_seats,
    )


def event(settings: EventSettings, *, seed_published: bool = False) -> schemas.Event:
    """The seed of a drawn pre-queue stays secret until the draw is done: knowing it before
    would let an entrant pick a user id that sorts first."""
    return schemas.Event(
        event_id=settings.event_id,
        name=settings.name,
        total_seats=settings.total_seats,
        max_per_user=settings.max_per_user,
        opens_at=to_datetime(settings.opens_at_ms),
        admission_rate_per_second=settings.admission_rate_per_second,
        max_active_users=settings.max_active_users,
        admission_ttl_seconds=settings.admission_ttl_seconds,
        hold_ttl_seconds=settings.hold_ttl_seconds,
        presence_timeout_seconds=settings.presence_timeout_seconds,
        draw_at_opening=settings.draw_at_opening,
        entry_work_bits=settings.entry_work_bits,
        entry_grant_required=settings.entry_grant_required,
        state=EVENT_STATE[settings.state],
        draw_commitment=commitment(settings.draw_seed) if settings.draw_seed else None,
        draw_seed=settings.draw_seed if seed_published else None,
        categories=None
        if settings.categories is None
        else [
            schemas.SeatCategory(
                category_id=c.category_id,
                name=c.name,
                seats=c.seats,
                max_per_user=c.max_per_user,
                price=c.price,
            )
            for c in settings.categories
        ],
        presale=None
        if settings.presale is None
        else schemas.Presale(
            opens_at=to_datetime(settings.presale.opens_at_ms),
            closes_at=to_datetime(settings.presale.closes_at_ms),
        ),
    )


def event_with_stats(
    settings: EventSettings, stats: EventStats, now_ms: int
) -> schemas.EventWithStats:
    drawn = settings.draw_at_opening and now_ms >= settings.opens_at_ms and not stats.draw_pending
    return schemas.EventWithStats(
        **msgspec.structs.asdict(event(settings, seed_published=drawn)),
        stats=schemas.EventStats(
            remaining_seats=stats.remaining_seats,
            waiting_users=stats.waiting_users,
            active_users=stats.active_users,
            pending_seats=stats.pending_seats,
            confirmed_seats=stats.confirmed_seats,
            abandoned_users=stats.abandoned_users,
            categories=[
                schemas.CategoryStats(
                    category_id=c.category_id,
                    remaining_seats=c.remaining,
                    pending_seats=c.pending_seats,
                    confirmed_seats=c.confirmed_seats,
                    sold_out=c.remaining == 0 and c.pending_seats == 0,
                )
                for c in stats.categories
            ]
            or None,
        ),
    )


def queue_ticket(view: QueueView, token: str) -> schemas.QueueTicket:
    expires = view.admission_expires_at
    return schemas.QueueTicket(
        token=token,
        status=QUEUE_STATUS[view.status],
        position=view.position,
        estimated_wait_seconds=view.estimated_wait_seconds,
        paused=view.paused,
        admission_expires_at=to_datetime(expires) if expires is not None else None,
        draw_pending=view.draw_pending,
    )


def hold(reservation: Reservation) -> schemas.Hold:
    return schemas.Hold(
        reservation_id=reservation.reservation_id,
        status=RESERVATION_STATUS[reservation.status],
        quantity=reservation.quantity,
        expires_at=to_datetime(reservation.expires_at),
        items=_items(reservation.items),
    )


def _items(items: tuple[ReservationItem, ...]) -> list[schemas.ReservationItem] | None:
    return [
        schemas.ReservationItem(category_id=i.category_id, quantity=i.quantity) for i in items
    ] or None


def seats_asked(body: schemas.ReserveRequest) -> tuple[int, tuple[ReservationItem, ...]]:
    """The seats a reserve asks for in all, and per category if it names several
    (``TicketingService.reserve`` checks them against the sale, with
    ``categories.items_asked``)."""
    items = tuple(ReservationItem(i.category_id, i.quantity) for i in body.items or ())
    if body.quantity is not None:
        return body.quantity, items
    if not items:
        raise InvalidInput("quantity: required unless items name the seats")
    return sum(item.quantity for item in items), items


def reservation(reservation: Reservation) -> schemas.Reservation:
    return schemas.Reservation(
        reservation_id=reservation.reservation_id,
        event_id=reservation.event_id,
        user_id=reservation.user_id,
        quantity=reservation.quantity,
        status=RESERVATION_STATUS[reservation.status],
        created_at=to_datetime(reservation.created_at),
        expires_at=to_datetime(reservation.expires_at),
        items=_items(reservation.items),
    )


def issued_codes(codes: list[str], issued: list[AccessCode]) -> schemas.IssuedCodes:
    return schemas.IssuedCodes(
        codes=[
            schemas.IssuedCode(
                code=code,
                code_id=stored.code_id,
                max_uses=stored.max_uses,
                categories=None if stored.categories is None else list(stored.categories),
            )
            for code, stored in zip(codes, issued, strict=True)
        ]
    )


def code_usage(code: CodeUses) -> schemas.CodeUsage:
    categories = code.code.categories
    return schemas.CodeUsage(
        code_id=code.code.code_id,
        max_uses=code.code.max_uses,
        uses=code.uses,
        categories=None if categories is None else list(categories),
    )
