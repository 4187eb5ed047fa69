"""Value objects of the waiting room and the inventory. Times are epoch milliseconds."""

from __future__ import annotations

import math
from bisect import bisect_left
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from enum import StrEnum

from ticketing_core.settings import EventSettings, EventState


class QueueStatus(StrEnum):
    WAITING = "WAITING"
    ADMITTED = "ADMITTED"
    COMPLETED = "COMPLETED"
    EXPIRED = "EXPIRED"
    SOLD_OUT = "SOLD_OUT"
    CLOSED = "CLOSED"
    """The operator closed the sale while the user waited."""
    ABANDONED = "ABANDONED"
    """The user was absent when their turn came (``presence_timeout_seconds``) and was skipped;
    entering again starts at the back."""


class ReservationStatus(StrEnum):
    PENDING = "PENDING"
    CONFIRMED = "CONFIRMED"
    CANCELLED = "CANCELLED"
    EXPIRED = "EXPIRED"

    @property
    def is_terminal(self) -> bool:
        return self is not ReservationStatus.PENDING

    def supersedes(self, known: ReservationStatus) -> bool:
        """Whether a record at ``known`` takes this status when told of it: a status never
        moves backwards. PENDING gives way to any terminal status; a terminal status never
        changes (the first one recorded stays); a repeat changes nothing.

        The one statement of the precedence rule: the memory record, the batch collapse and
        the PostgreSQL upsert (whose condition is generated from it) all apply this.
        """
        return self.is_terminal and not known.is_terminal

    @property
    def holds_seats(self) -> bool:
        return self in (ReservationStatus.PENDING, ReservationStatus.CONFIRMED)


@dataclass(frozen=True, slots=True)
class QueueView:
    """What one user sees of their place. ``position`` is 0 for anyone not waiting.
    ``estimated_wait_seconds`` is None while the sale is paused: nobody can know it then.

    ``seq`` is the user's place in the order of entry (1, 2, ...); streams use it to follow
    their position from a shared ``QueueSnapshot`` without asking the store per user.
    """

    event_id: str
    user_id: str
    seq: int
    status: QueueStatus
    position: int
    estimated_wait_seconds: int | None
    admission_expires_at: int | None = None
    paused: bool = False
    draw_pending: bool = False
    """The sale's pre-queue is drawn at the opening and has not been yet: a waiting user has
    no position (0) and no estimate until then."""


@dataclass(frozen=True, slots=True)
class QueueSnapshot:
    """The state of one event's waiting room, cheap to fetch once and share among all streams.

    Everybody admitted so far entered before ``head_seq`` (admission is FIFO), and every
    sequence number from ``head_seq`` up is either still waiting or in ``gaps`` (left while
    waiting). So a waiting user's exact position follows from their own ``seq`` alone.
    """

    event_id: str
    head_seq: int
    gaps: tuple[int, ...]
    waiting: int
    active: int
    sold_out: bool
    taken_at: int
    state: EventState = EventState.OPEN
    abandoned: int = 0
    """Users skipped so far because they were absent when their turn came."""
    draw_pending: bool = False
    """The pre-queue is still to be drawn: positions of the order of entry mean nothing yet."""

    def position_of(self, seq: int) -> int:
        """Exact position of the waiting user holding ``seq``; 0 if they no longer wait."""
        if seq < self.head_seq:
            return 0
        gaps_before = bisect_left(self.gaps, seq)
        if gaps_before < len(self.gaps) and self.gaps[gaps_before] == seq:
            return 0
        return seq - self.head_seq + 1 - gaps_before


@dataclass(frozen=True, slots=True)
class CategoryStock:
    """One seat category's counters: ``remaining + pending_seats + confirmed_seats`` is its
    ``seats``."""

    category_id: str
    remaining: int
    pending_seats: int
    confirmed_seats: int


@dataclass(frozen=True, slots=True)
class StockStats:
    remaining: int
    pending_seats: int
    confirmed_seats: int
    categories: tuple[CategoryStock, ...] = ()
    """Per category, in the sale's order; empty for a sale without categories."""

    @property
    def sold_out(self) -> bool:
        """The event is sold out only when no seat is left and none can come back."""
        return self.remaining == 0 and self.pending_seats == 0

    @classmethod
    def implied_by(
        cls,
        settings: EventSettings,
        seats: Mapping[ReservationStatus, int],
        category_seats: Mapping[tuple[str, ReservationStatus], int] | None = None,
    ) -> StockStats:
        """The counters an event's reservations imply, given the seats they hold per status
        (a status absent holds none) and, for a sale with categories, per category and status:
        seats held (PENDING, CONFIRMED) are off sale, the rest on sale. What a repair writes
        and what reconcile expects."""
        pending = seats.get(ReservationStatus.PENDING, 0)
        confirmed = seats.get(ReservationStatus.CONFIRMED, 0)
        by_category = category_seats or {}
        categories = tuple(
            CategoryStock(
                c.category_id,
                c.seats
                - by_category.get((c.category_id, ReservationStatus.PENDING), 0)
                - by_category.get((c.category_id, ReservationStatus.CONFIRMED), 0),
                by_category.get((c.category_id, ReservationStatus.PENDING), 0),
                by_category.get((c.category_id, ReservationStatus.CONFIRMED), 0),
            )
            for c in settings.categories or ()
        )
        return cls(settings.total_seats - pending - confirmed, pending, confirmed, categories)

    @classmethod
    def of_reservations(
        cls, settings: EventSettings, reservations: Iterable[Reservation]
    ) -> StockStats:
        """The counters ``reservations`` (all of the event's) imply."""
        seats: Counter[ReservationStatus] = Counter()
        category_seats: Counter[tuple[str, ReservationStatus]] = Counter()
        for r in reservations:
            seats[r.status] += r.quantity
            for item in r.items:
                category_seats[(item.category_id, r.status)] += item.quantity
        return cls.implied_by(settings, seats, category_seats)


@dataclass(frozen=True, slots=True)
class EventStats:
    remaining_seats: int
    waiting_users: int
    active_users: int
    pending_seats: int
    confirmed_seats: int
    abandoned_users: int = 0
    draw_pending: bool = False
    """The sale's pre-queue is still to be drawn (its seed stays secret until it is)."""
    categories: tuple[CategoryStock, ...] = ()
    """Each seat category's counters, in the sale's order; empty for a sale without."""


@dataclass(frozen=True, slots=True)
class ReservationItem:
    """Seats of one category in a reservation."""

    category_id: str
    quantity: int


@dataclass(frozen=True, slots=True)
class Reservation:
    reservation_id: str
    event_id: str
    user_id: str
    quantity: int
    """Every seat it holds, of whatever category."""
    status: ReservationStatus
    created_at: int
    expires_at: int
    updated_at: int
    items: tuple[ReservationItem, ...] = ()
    """Its seats per category, in the sale's order (their quantities add up to ``quantity``);
    empty in a sale without categories."""

    def moved_to(self, status: ReservationStatus, at: int) -> Reservation:
        return replace(self, status=status, updated_at=at)


@dataclass(frozen=True, slots=True)
class AdmissionReport:
    """What one admission tick did."""

    admitted: tuple[str, ...]
    expired_admissions: int
    abandoned: int = 0
    """Users skipped at the head because they were absent."""
    drawing: bool = False
    """The step did part of the opening's draw and admitted nobody: call again (stores that
    draw in one step never say so)."""


def estimated_wait_seconds(
    position: int, settings: EventSettings, active: int, now_ms: int, *, paused: bool
) -> int | None:
    """Seconds until a user at ``position`` is admitted, at the rate and cap the event allows;
    None while the sale is ``paused`` (for how long, nobody knows; the caller says, as the
    store it read saw it, which may be newer than ``settings``).

    The first free slots fill at the admission rate; beyond them a slot frees only when an
    admission ends, which at worst takes the whole admission TTL, so later places move at
    ``min(rate, maxActiveUsers / admissionTtl)``. Before the sale opens (or its presale, for
    a buyer who waits while it is still to come), the time until it opens is added. It is an
    honest upper-bound estimate, not a promise.
    """
    if position <= 0:
        return 0
    if paused:
        return None
    rate = float(settings.admission_rate_per_second)
    turnover = min(rate, settings.max_active_users / settings.admission_ttl_seconds)
    free = max(0, settings.max_active_users - active)
    first = min(position, free)
    later = position - first
    seconds = first / rate + later / turnover
    until_open = max(0, settings.opening_in_force_ms(now_ms) - now_ms) / 1000
    return math.ceil(until_open + seconds)
