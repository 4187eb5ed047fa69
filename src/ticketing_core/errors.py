"""Domain errors. Each carries the stable machine-readable ``code`` of SPEC section 5."""

from __future__ import annotations


class DomainError(Exception):
    """A rule of the sale refused the request. ``code`` is stable; ``detail`` is for humans."""

    code: str = "domain_error"
    title: str = "Request refused"

    def __init__(self, detail: str | None = None) -> None:
        self.detail = detail or self.title
        super().__init__(self.detail)


class InvalidInput(DomainError):
    code = "validation_error"
    title = "Invalid input"


class EventNotFound(DomainError):
    code = "event_not_found"
    title = "Event not found"


class EventExists(DomainError):
    code = "event_exists"
    title = "Event already exists"


class EventHasReservations(DomainError):
    """The event cannot be deleted: a hold was made in it (whatever became of it since)."""

    code = "event_has_reservations"
    title = "Event has reservations"


class SoldOut(DomainError):
    code = "sold_out"
    title = "Sold out"


class InsufficientSeats(DomainError):
    code = "insufficient_seats"
    title = "Not enough seats left"


class LimitExceeded(DomainError):
    code = "limit_exceeded"
    title = "Per-user seat limit reached"


class NotAdmitted(DomainError):
    code = "not_admitted"
    title = "Not admitted"


class NotInQueue(DomainError):
    """The user holds no place in the event's queue (never entered, or left)."""

    code = "not_in_queue"
    title = "Not in the queue"


class ReservationNotFound(DomainError):
    code = "reservation_not_found"
    title = "Reservation not found"


class HoldExpired(DomainError):
    code = "hold_expired"
    title = "Hold expired"


class SaleClosed(DomainError):
    """An operator closed the sale: no entry, no reserve, no further change."""

    code = "sale_closed"
    title = "Sale closed"


class InvalidState(DomainError):
    code = "invalid_state"
    title = "Reservation is not in a state that allows this"


class CodeRequired(DomainError):
    """The presale takes entries with an access code only."""

    code = "code_required"
    title = "Access code required"


class InvalidCode(DomainError):
    """The access code is unknown, used up, past its window, or does not unlock the seats."""

    code = "invalid_code"
    title = "Invalid access code"


class CodeExists(DomainError):
    code = "code_exists"
    title = "Access code already issued"


ERRORS_BY_CODE: dict[str, type[DomainError]] = {
    cls.code: cls
    for cls in (
        InvalidInput,
        EventNotFound,
        EventExists,
        EventHasReservations,
        SoldOut,
        InsufficientSeats,
        LimitExceeded,
        NotAdmitted,
        NotInQueue,
        ReservationNotFound,
        HoldExpired,
        InvalidState,
        SaleClosed,
        CodeRequired,
        InvalidCode,
        CodeExists,
    )
}
"""Adapters that answer with a code (a Lua script, say) turn it back into the error here."""
