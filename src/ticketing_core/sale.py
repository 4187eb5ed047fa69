"""The rules of one sale as a pure, synchronous state machine.

``SaleState`` holds an event's waiting room, stock and holds and applies SPEC section 4 to
them. It does no I/O and never awaits, so one call is one atomic step under asyncio. The
in-memory adapters run on it directly; the Redis adapters implement the same rules as Lua
scripts, and ``ticketing_core.testing`` proves both against an independent model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from sortedcontainers import SortedDict, SortedList

from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.draw import DRAW_PART, drawn_order
from ticketing_core.errors import (
    CodeExists,
    CodeRequired,
    HoldExpired,
    InsufficientSeats,
    InvalidCode,
    InvalidInput,
    InvalidState,
    LimitExceeded,
    NotAdmitted,
    NotInQueue,
    ReservationNotFound,
    SaleClosed,
    SoldOut,
)
from ticketing_core.messages import (
    CodeUseMessage,
    EventChangeMessage,
    Message,
    ReservationMessage,
    draw_messages,
)
from ticketing_core.model import (
    AdmissionReport,
    CategoryStock,
    QueueSnapshot,
    QueueStatus,
    QueueView,
    Reservation,
    ReservationItem,
    ReservationStatus,
    StockStats,
    estimated_wait_seconds,
)
from ticketing_core.settings import EventSettings, EventState

IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000
TOKEN = 1000
"""The admission bucket counts thousandths of an admission, so refills are exact integers."""
ADMISSIONS_PER_CALL = 2_000
"""One admission step changes at most this many places, so that a burst of a large admission
rate never holds a store (one Redis script runs alone) for long; the service repeats steps."""


@dataclass(slots=True)
class _CategoryCounters:
    remaining: int
    pending: int = 0
    confirmed: int = 0


@dataclass(slots=True)
class _Code:
    code: AccessCode
    uses: int = 0


@dataclass(slots=True)
class _Place:
    seq: int
    status: QueueStatus
    admission_expires_at: int = 0
    last_seen: int = 0
    """While waiting: when the user was last seen (entered, read their status, streamed)."""


class SaleState:
    def __init__(self, settings: EventSettings, emit: Callable[[Message], None]) -> None:
        self.settings = settings
        self._emit = emit
        self.remaining = settings.total_seats
        self.pending_seats = 0
        self.confirmed_seats = 0
        self._categories = {
            c.category_id: _CategoryCounters(c.seats) for c in settings.categories or ()
        }
        self._next_seq = 1
        self._places: dict[str, _Place] = {}
        self._waiting: SortedDict[int, str] = SortedDict()  # seq -> user id
        self._gaps: SortedList[int] = SortedList()  # seqs that left while waiting
        self._active: SortedList[tuple[int, str]] = SortedList()  # (expiry, user), as Redis orders
        self._bucket = settings.admission_rate_per_second * TOKEN
        self._bucket_at = settings.first_opening_ms
        self._reservations: dict[str, Reservation] = {}
        self._first_answers: dict[tuple[str, str], tuple[Reservation, int]] = {}
        self._holds: SortedList[tuple[int, str]] = SortedList()  # (expiry, id) of PENDING
        self._held_by_user: dict[str, int] = {}
        self._held_in_category: dict[tuple[str, str], int] = {}  # (user, category) -> seats
        self._abandoned = 0
        self._last_preopen_seq = 0
        self._drawn = False
        self._presence_since = 0
        self._codes: dict[str, _Code] = {}  # digest -> the code and its uses
        self._code_of: dict[str, str] = {}  # user -> digest of the code their place came by

    # -- waiting room -------------------------------------------------------------------

    @property
    def sold_out(self) -> bool:
        return self.remaining == 0 and self.pending_seats == 0

    @property
    def closed(self) -> bool:
        return self.settings.state is EventState.CLOSED

    def change(self, change: SaleChange, actor: str, now_ms: int) -> EventSettings:
        """Applies an operator's change (``SaleChange.applied_to``); seats put on sale or
        withdrawn move ``remaining`` and ``total_seats`` together. A change that changed
        something is recorded (``EventChangeMessage``) with ``actor``, who asked for it."""
        counters = self._categories.get(change.category or "")
        remaining = self.remaining if counters is None else counters.remaining
        changed = change.applied_to(self.settings, remaining)
        if changed is self.settings:
            return changed
        if change.kind is ChangeKind.SEATS:
            self.remaining += change.seats
            if counters is not None:
                counters.remaining += change.seats
        if changed.presence_timeout_seconds != self.settings.presence_timeout_seconds:
            self._presence_since = now_ms  # a new timeout counts from now: skips nobody at once
        self.settings = changed
        self._emit(EventChangeMessage.of(change.kind, change.detail, actor, now_ms, changed))
        return changed

    def add_codes(self, codes: Iterable[AccessCode]) -> None:
        """Issues the codes, all or none: ``CodeExists`` if one was issued before."""
        codes = list(codes)
        if any(code.digest in self._codes for code in codes):
            raise CodeExists("one of the codes was issued already")
        for code in codes:
            self._codes[code.digest] = _Code(code)

    def codes(self) -> list[CodeUses]:
        """Every code issued, in the order of issue, with its uses."""
        return [CodeUses(c.code, c.uses) for c in self._codes.values()]

    def enter(self, user_id: str, now_ms: int, code: str | None = None) -> QueueView:
        """``code``: the digest of the access code the user brings (``codes.code_digest``),
        which a new place needs until the presale closes, and nothing after."""
        if self.closed:
            raise SaleClosed("the sale is closed")
        if self.sold_out:
            raise SoldOut("every seat is sold")
        place = self._current_place(user_id, now_ms)
        if place is None or place.status not in (QueueStatus.WAITING, QueueStatus.ADMITTED):
            self._use_code(user_id, code, now_ms)
            place = _Place(seq=self._next_seq, status=QueueStatus.WAITING)
            self._next_seq += 1
            self._places[user_id] = place
            self._waiting[place.seq] = user_id
            if now_ms < self.settings.opens_at_ms and not self._drawn:
                self._last_preopen_seq = place.seq
        place.last_seen = now_ms
        return self._view(user_id, place, now_ms)

    def _use_code(self, user_id: str, digest: str | None, now_ms: int) -> None:
        """Counts one use of the code a new place comes by, or refuses the entry."""
        if not self.settings.needs_code_at(now_ms):
            if digest is not None:
                raise InvalidCode("no presale takes codes now: enter without one")
            self._code_of.pop(user_id, None)
            return
        if digest is None:
            raise CodeRequired("the presale takes entries with an access code only")
        found = self._codes.get(digest)
        if found is None or found.uses >= found.code.max_uses:
            raise InvalidCode("the access code is unknown or used up")
        found.uses += 1
        self._code_of[user_id] = digest
        self._emit(CodeUseMessage.of(self.settings.event_id, digest, user_id, found.uses, now_ms))

    def status(self, user_id: str, now_ms: int) -> QueueView:
        place = self._current_place(user_id, now_ms)
        if place is None:
            raise NotInQueue("enter the queue first")
        place.last_seen = now_ms
        return self._view(user_id, place, now_ms)

    def keep_present(self, user_ids: Iterable[str], now_ms: int) -> None:
        """The users are there (their streams are open): those waiting are seen now."""
        for user_id in user_ids:
            place = self._places.get(user_id)
            if place is not None and place.status is QueueStatus.WAITING:
                place.last_seen = now_ms

    def leave(self, user_id: str, now_ms: int) -> bool:
        place = self._current_place(user_id, now_ms)
        if place is None:
            return False
        if place.status is QueueStatus.WAITING:
            del self._waiting[place.seq]
            self._gaps.add(place.seq)
        elif place.status is QueueStatus.ADMITTED:
            self._active.remove((place.admission_expires_at, user_id))
        del self._places[user_id]
        return True

    def admit(self, now_ms: int, limit: int = ADMISSIONS_PER_CALL) -> AdmissionReport:
        """Ends at most ``limit`` due admissions, then admits at most ``limit`` users."""
        expired = self._end_due_admissions(now_ms, limit)
        if now_ms >= self.settings.opens_at_ms and self.draw_pending:
            self._draw(now_ms)
        if (
            not self.settings.admits_at(now_ms)
            or self.sold_out
            or self.settings.state is not EventState.OPEN
        ):
            return AdmissionReport(admitted=(), expired_admissions=expired)
        rate = self.settings.admission_rate_per_second
        elapsed = max(0, now_ms - self._bucket_at)
        self._bucket = min(rate * TOKEN, self._bucket + elapsed * rate)
        self._bucket_at = max(self._bucket_at, now_ms)
        room = self.settings.max_active_users - len(self._active)
        count = min(self._bucket // TOKEN, room, len(self._waiting), limit)
        admitted: list[str] = []
        abandoned = 0
        expires_at = now_ms + self.settings.admission_ttl_ms
        # From the head, in order: the present are admitted, the absent skipped, until
        # ``count`` are admitted, the queue is empty or ``limit`` were skipped.
        while len(admitted) < count and abandoned < limit and self._waiting:
            seq, user_id = self._waiting.popitem(0)
            place = self._places[user_id]
            if self._absent(place, now_ms):
                place.status = QueueStatus.ABANDONED
                abandoned += 1
                continue
            self._places[user_id] = _Place(seq, QueueStatus.ADMITTED, expires_at)
            self._active.add((expires_at, user_id))
            admitted.append(user_id)
        self._bucket -= len(admitted) * TOKEN
        self._abandoned += abandoned
        return AdmissionReport(
            admitted=tuple(admitted), expired_admissions=expired, abandoned=abandoned
        )

    @property
    def draw_pending(self) -> bool:
        return self.settings.draw_at_opening and not self._drawn

    def _draw(self, now_ms: int) -> None:
        """Everyone still waiting who entered before the opening, in the drawn order
        (``ticketing_core.draw``), renumbered into the sequence numbers just below the first
        entry after the opening: the order of the line is then the order of the numbers, as
        everywhere else. Gaps among the old numbers mean nothing any more."""
        assert self.settings.draw_seed is not None
        entrants = list(self._waiting.irange(maximum=self._last_preopen_seq))
        order = drawn_order(self.settings.draw_seed, (self._waiting[seq] for seq in entrants))
        for seq in entrants:
            del self._waiting[seq]
        first = self._last_preopen_seq - len(order) + 1
        for offset, user_id in enumerate(order):
            self._places[user_id].seq = first + offset
            self._waiting[first + offset] = user_id
        while self._gaps and self._gaps[0] <= self._last_preopen_seq:
            self._gaps.pop(0)
        self._drawn = True
        for message in draw_messages(self.settings.event_id, order, now_ms, DRAW_PART):
            self._emit(message)

    def _absent(self, place: _Place, now_ms: int) -> bool:
        timeout = self.settings.presence_timeout_ms
        return timeout > 0 and now_ms - max(place.last_seen, self._presence_since) > timeout

    def snapshot(self, now_ms: int) -> QueueSnapshot:
        head = self._waiting.peekitem(0)[0] if self._waiting else self._next_seq
        while self._gaps and self._gaps[0] < head:
            self._gaps.pop(0)
        return QueueSnapshot(
            event_id=self.settings.event_id,
            head_seq=head,
            gaps=tuple(self._gaps),
            waiting=len(self._waiting),
            active=self._active_count(now_ms),
            sold_out=self.sold_out,
            taken_at=now_ms,
            state=self.settings.state,
            abandoned=self._abandoned,
            draw_pending=self.draw_pending,
        )

    def waiting_count(self) -> int:
        return len(self._waiting)

    def _active_count(self, now_ms: int) -> int:
        return len(self._active) - self._active.bisect_left((now_ms + 1, ""))

    def _current_place(self, user_id: str, now_ms: int) -> _Place | None:
        """The user's place, with an admission whose time ran out marked EXPIRED."""
        place = self._places.get(user_id)
        if (
            place is not None
            and place.status is QueueStatus.ADMITTED
            and place.admission_expires_at <= now_ms
        ):
            self._active.remove((place.admission_expires_at, user_id))
            place.status = QueueStatus.EXPIRED
        return place

    def _end_due_admissions(self, now_ms: int, limit: int) -> int:
        due = min(self._active.bisect_left((now_ms + 1, "")), limit)
        for expires_at, user_id in list(self._active.islice(0, due)):
            self._active.remove((expires_at, user_id))
            self._places[user_id].status = QueueStatus.EXPIRED
        return due

    def _view(self, user_id: str, place: _Place, now_ms: int) -> QueueView:
        status = place.status
        position = 0
        drawing = False
        if status is QueueStatus.WAITING:
            if self.closed:
                status = QueueStatus.CLOSED
            elif self.sold_out:
                status = QueueStatus.SOLD_OUT
            elif self.draw_pending:
                drawing = True
            else:
                position = self._waiting.index(place.seq) + 1
        paused = self.settings.state is EventState.PAUSED
        wait = (
            None
            if drawing
            else estimated_wait_seconds(
                position, self.settings, self._active_count(now_ms), now_ms, paused=paused
            )
        )
        return QueueView(
            event_id=self.settings.event_id,
            user_id=user_id,
            seq=place.seq,
            status=status,
            position=position,
            estimated_wait_seconds=wait,
            admission_expires_at=(
                place.admission_expires_at if status is QueueStatus.ADMITTED else None
            ),
            paused=paused,
            draw_pending=drawing,
        )

    # -- inventory and holds ------------------------------------------------------------

    def stats(self) -> StockStats:
        categories = tuple(
            CategoryStock(category_id, c.remaining, c.pending, c.confirmed)
            for category_id, c in self._categories.items()
        )
        return StockStats(self.remaining, self.pending_seats, self.confirmed_seats, categories)

    @property
    def ever_reserved(self) -> bool:
        """Whether any reservation was made here, whatever became of it since."""
        return bool(self._reservations)

    def reserve(
        self,
        user_id: str,
        quantity: int,
        reservation_id: str,
        idempotency_key: str | None,
        now_ms: int,
        items: tuple[ReservationItem, ...] = (),
    ) -> Reservation:
        """``items``: the seats per category (``categories.items_asked``), adding up to
        ``quantity``; none in a sale without categories."""
        if idempotency_key is not None:
            answered = self._first_answers.get((user_id, idempotency_key))
            if answered is not None and now_ms - answered[1] < IDEMPOTENCY_WINDOW_MS:
                return answered[0]
        if self.closed:
            raise SaleClosed("the sale is closed")
        place = self._current_place(user_id, now_ms)
        held = self._held_by_user.get(user_id, 0)
        if place is None or place.status is not QueueStatus.ADMITTED:
            if (
                place is not None
                and place.status is QueueStatus.COMPLETED
                and (held >= self.settings.max_per_user)
            ):
                raise LimitExceeded(f"you already hold {held} of {self.settings.max_per_user}")
            raise NotAdmitted("wait for your turn in the queue")
        self._check_code_unlocks(user_id, items)
        if held + quantity > self.settings.max_per_user:
            raise LimitExceeded(
                f"{held} held + {quantity} asked > limit {self.settings.max_per_user}"
            )
        self._check_categories(user_id, items)
        if self.remaining == 0:
            raise SoldOut("no seat is left right now")
        if self.remaining < quantity:
            raise InsufficientSeats(f"only {self.remaining} left")
        reservation = Reservation(
            reservation_id=reservation_id,
            event_id=self.settings.event_id,
            user_id=user_id,
            quantity=quantity,
            status=ReservationStatus.PENDING,
            created_at=now_ms,
            expires_at=now_ms + self.settings.hold_ttl_ms,
            updated_at=now_ms,
            items=items,
        )
        self.remaining -= quantity
        self.pending_seats += quantity
        self._held_by_user[user_id] = held + quantity
        for item in items:
            counters = self._categories[item.category_id]
            counters.remaining -= item.quantity
            counters.pending += item.quantity
            key = (user_id, item.category_id)
            self._held_in_category[key] = self._held_in_category.get(key, 0) + item.quantity
        if held + quantity >= self.settings.max_per_user:
            self._active.remove((place.admission_expires_at, user_id))
            place.status = QueueStatus.COMPLETED
        self._reservations[reservation_id] = reservation
        self._holds.add((reservation.expires_at, reservation_id))
        if idempotency_key is not None:
            self._first_answers[(user_id, idempotency_key)] = (reservation, now_ms)
        self._emit(ReservationMessage.of(reservation))
        return reservation

    def _check_code_unlocks(self, user_id: str, items: tuple[ReservationItem, ...]) -> None:
        """A buyer let in by a code that names categories holds seats of those only."""
        digest = self._code_of.get(user_id)
        unlocked = None if digest is None else self._codes[digest].code.categories
        if unlocked is not None and any(item.category_id not in unlocked for item in items):
            raise InvalidCode(f"your access code unlocks {', '.join(unlocked)} only")

    def _check_categories(self, user_id: str, items: tuple[ReservationItem, ...]) -> None:
        """Every item within its category's per-user limit, then every one with its seats
        left; refuses for the first that is not (all or nothing: before any is taken)."""
        if self._categories and not items:
            raise InvalidInput("categoryId: this sale has seat categories; name one")
        for item in items:
            category = self.settings.category(item.category_id)
            if category is None:
                raise InvalidInput(f"categoryId: no category {item.category_id!r} here")
            held = self._held_in_category.get((user_id, item.category_id), 0)
            if held + item.quantity > category.max_per_user:
                raise LimitExceeded(
                    f"{category.category_id}: {held} held + {item.quantity} asked > limit "
                    f"{category.max_per_user}"
                )
        for item in items:
            left = self._categories[item.category_id].remaining
            if left == 0:
                raise SoldOut(f"{item.category_id}: no seat of it is left right now")
            if left < item.quantity:
                raise InsufficientSeats(f"{item.category_id}: only {left} left")

    def confirm(self, user_id: str, reservation_id: str, now_ms: int) -> Reservation:
        reservation = self._owned(user_id, reservation_id)
        if reservation.status is ReservationStatus.CONFIRMED:
            return reservation
        if reservation.status is ReservationStatus.PENDING and reservation.expires_at <= now_ms:
            self._finish(reservation, ReservationStatus.EXPIRED, now_ms)
            raise HoldExpired("the hold's time ran out; its seats went back on sale")
        if reservation.status is ReservationStatus.EXPIRED:
            raise HoldExpired("the hold's time ran out; its seats went back on sale")
        if reservation.status is not ReservationStatus.PENDING:
            raise InvalidState(f"a {reservation.status} reservation cannot be confirmed")
        return self._finish(reservation, ReservationStatus.CONFIRMED, now_ms)

    def cancel(self, user_id: str, reservation_id: str, now_ms: int) -> Reservation:
        reservation = self._owned(user_id, reservation_id)
        if reservation.status is ReservationStatus.CANCELLED:
            return reservation
        if reservation.status is ReservationStatus.PENDING and reservation.expires_at <= now_ms:
            reservation = self._finish(reservation, ReservationStatus.EXPIRED, now_ms)
        if reservation.status is not ReservationStatus.PENDING:
            raise InvalidState(f"a {reservation.status} reservation cannot be cancelled")
        return self._finish(reservation, ReservationStatus.CANCELLED, now_ms)

    def expire_holds(self, now_ms: int, limit: int) -> list[Reservation]:
        due = min(self._holds.bisect_left((now_ms + 1, "")), limit)
        expired = []
        for _expires_at, reservation_id in list(self._holds.islice(0, due)):
            reservation = self._reservations[reservation_id]
            expired.append(self._finish(reservation, ReservationStatus.EXPIRED, now_ms))
        return expired

    def get(self, reservation_id: str) -> Reservation | None:
        return self._reservations.get(reservation_id)

    def _owned(self, user_id: str, reservation_id: str) -> Reservation:
        reservation = self._reservations.get(reservation_id)
        if reservation is None or reservation.user_id != user_id:
            raise ReservationNotFound(f"no reservation {reservation_id} of yours")
        return reservation

    def _finish(
        self, reservation: Reservation, status: ReservationStatus, now_ms: int
    ) -> Reservation:
        """Moves a PENDING hold to a terminal status; seats return unless it is confirmed."""
        self._holds.remove((reservation.expires_at, reservation.reservation_id))
        self.pending_seats -= reservation.quantity
        if status is ReservationStatus.CONFIRMED:
            self.confirmed_seats += reservation.quantity
        else:
            self.remaining += reservation.quantity
            self._held_by_user[reservation.user_id] -= reservation.quantity
        for item in reservation.items:
            counters = self._categories[item.category_id]
            counters.pending -= item.quantity
            if status is ReservationStatus.CONFIRMED:
                counters.confirmed += item.quantity
            else:
                counters.remaining += item.quantity
                self._held_in_category[(reservation.user_id, item.category_id)] -= item.quantity
        finished = reservation.moved_to(status, now_ms)
        self._reservations[reservation.reservation_id] = finished
        self._emit(ReservationMessage.of(finished))
        return finished
