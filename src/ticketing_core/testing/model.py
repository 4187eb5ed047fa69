"""An independent reference model of one sale, written to be obviously right, not fast.

It restates SPEC section 4 with plain lists and linear scans and shares no code with
``SaleState`` beyond the value types, so the harness compares two separate readings of the
rules: a bug has to be written twice, the same way, to slip through.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.errors import (
    CodeExists,
    CodeRequired,
    DomainError,
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
    DrawMessage,
    EventChangeMessage,
    Message,
    ReservationMessage,
)
from ticketing_core.model import (
    QueueStatus,
    QueueView,
    Reservation,
    ReservationItem,
    ReservationStatus,
    estimated_wait_seconds,
)
from ticketing_core.settings import EventSettings, EventState

DAY_MS = 86_400_000


@dataclass
class ModelPlace:
    seq: int
    status: QueueStatus
    admission_expires_at: int = 0
    last_seen: int = 0


@dataclass
class ModelCode:
    code: AccessCode
    uses: int = 0


class SaleModel:
    def __init__(self, settings: EventSettings) -> None:
        self.settings = settings
        self.remaining = settings.total_seats
        self.category_remaining = {c.category_id: c.seats for c in settings.categories or ()}
        self.next_seq = 1
        self.places: dict[str, ModelPlace] = {}
        self.waiting: list[str] = []  # in order of entry
        self.left_seqs: set[int] = set()
        self.bucket_milli = settings.admission_rate_per_second * 1000
        presale = settings.presale
        self.bucket_at = presale.opens_at_ms if presale else settings.opens_at_ms
        self.codes: dict[str, ModelCode] = {}  # digest -> it, in order of issue
        self.code_of: dict[str, str] = {}  # user -> digest their place came by
        self.reservations: dict[str, Reservation] = {}
        self.answers: dict[tuple[str, str], tuple[Reservation, int]] = {}
        self.emitted: list[Message] = []
        self.admission_log: list[tuple[int, str, int]] = []  # (time, user, seq)
        self.abandoned = 0
        self.last_preopen_seq = 0
        self.drawn = False
        self.presence_since = 0

    # derived quantities ---------------------------------------------------------------

    def seats_in(self, status: ReservationStatus) -> int:
        return sum(r.quantity for r in self.reservations.values() if r.status is status)

    @property
    def pending(self) -> int:
        return self.seats_in(ReservationStatus.PENDING)

    @property
    def confirmed(self) -> int:
        return self.seats_in(ReservationStatus.CONFIRMED)

    def held_by(self, user_id: str) -> int:
        return sum(
            r.quantity
            for r in self.reservations.values()
            if r.user_id == user_id and r.status.holds_seats
        )

    def category_seats_in(self, category_id: str, status: ReservationStatus) -> int:
        return sum(
            item.quantity
            for r in self.reservations.values()
            if r.status is status
            for item in r.items
            if item.category_id == category_id
        )

    def held_of_category(self, user_id: str, category_id: str) -> int:
        return sum(
            item.quantity
            for r in self.reservations.values()
            if r.user_id == user_id and r.status.holds_seats
            for item in r.items
            if item.category_id == category_id
        )

    @property
    def sold_out(self) -> bool:
        return self.remaining == 0 and self.pending == 0

    def active(self, now_ms: int) -> int:
        return sum(
            1
            for p in self.places.values()
            if p.status is QueueStatus.ADMITTED and p.admission_expires_at > now_ms
        )

    def head_seq(self) -> int:
        return self.places[self.waiting[0]].seq if self.waiting else self.next_seq

    def gaps(self) -> tuple[int, ...]:
        head = self.head_seq()
        return tuple(sorted(s for s in self.left_seqs if s >= head))

    @property
    def closed(self) -> bool:
        return self.settings.state == EventState.CLOSED

    @property
    def paused(self) -> bool:
        return self.settings.state == EventState.PAUSED

    # the operator ---------------------------------------------------------------------

    def change(self, change: SaleChange, actor: str, now_ms: int) -> EventSettings:
        """Closed is final (closing again changes nothing); pausing a paused sale, resuming
        an open one, naming no setting and no seat change nothing; seats withdrawn must be
        unsold; a sale keeps 1..10M seats; whatever changes counts one version and is
        recorded with who asked and what they asked."""
        wanted = {
            ChangeKind.PAUSE: EventState.PAUSED,
            ChangeKind.RESUME: EventState.OPEN,
            ChangeKind.CLOSE: EventState.CLOSED,
        }
        if self.closed:
            if change.kind == ChangeKind.CLOSE:
                return self.settings
            raise SaleClosed()
        if change.kind in (ChangeKind.SETTINGS, ChangeKind.SEATS) and not (
            change.settings or change.seats
        ):
            return self.settings
        fields: dict[str, object] = {}
        if change.kind in wanted:
            if self.settings.state == wanted[change.kind]:
                return self.settings
            fields["state"] = wanted[change.kind]
        elif change.kind == ChangeKind.SEATS:
            fields.update(self._seats_changed(change))
        else:
            fields.update(change.settings)
        timeout = dict(change.settings).get("presence_timeout_seconds")
        if timeout is not None and timeout != self.settings.presence_timeout_seconds:
            self.presence_since = now_ms  # nobody is absent longer than the timeout has been
        fields["version"] = self.settings.version + 1
        self.settings = EventSettings.model_validate({**self.settings.model_dump(), **fields})
        asked = change.settings
        if change.kind == ChangeKind.SEATS:
            asked = (("delta", change.seats),)
            if change.category is not None:
                asked += (("category", change.category),)
        self.emitted.append(EventChangeMessage.of(change.kind, asked, actor, now_ms, self.settings))
        return self.settings

    def _seats_changed(self, change: SaleChange) -> dict[str, object]:
        """A category of the sale's if it has any, none if not; then as for the sale."""
        categories = self.settings.categories
        named = [c for c in categories or () if c.category_id == change.category]
        if (categories is None) != (change.category is None) or (categories and not named):
            raise InvalidInput()
        left = self.category_remaining[named[0].category_id] if named else self.remaining
        if change.seats < 0 and -change.seats > left:
            raise InsufficientSeats()
        total = self.settings.total_seats + change.seats
        if total < 1 or total > 10_000_000:
            raise InvalidInput()
        self.remaining += change.seats
        if not named:
            return {"total_seats": total}
        self.category_remaining[named[0].category_id] += change.seats
        return {
            "total_seats": total,
            "categories": [
                {**c.model_dump(), "seats": c.seats + change.seats} if c in named else c
                for c in categories or ()
            ],
        }

    # waiting room ---------------------------------------------------------------------

    def _place(self, user_id: str, now_ms: int) -> ModelPlace | None:
        place = self.places.get(user_id)
        if place and place.status is QueueStatus.ADMITTED and place.admission_expires_at <= now_ms:
            place.status = QueueStatus.EXPIRED
        return place

    def view(self, user_id: str, now_ms: int) -> QueueView:
        """Reading one's place (or entering) is a sign of presence."""
        place = self._place(user_id, now_ms)
        if place is None:
            raise NotInQueue()
        if place.status is QueueStatus.WAITING:
            place.last_seen = now_ms
        status, position, drawing = place.status, 0, False
        if status is QueueStatus.WAITING:
            if self.closed:
                status = QueueStatus.CLOSED
            elif self.sold_out:
                status = QueueStatus.SOLD_OUT
            elif self.draw_pending:
                drawing = True  # no position until the draw: it is not the order of entry
            else:
                position = self.waiting.index(user_id) + 1
        return QueueView(
            event_id=self.settings.event_id,
            user_id=user_id,
            seq=place.seq,
            status=status,
            position=position,
            estimated_wait_seconds=(
                None
                if (self.paused and position > 0) or drawing
                else estimated_wait_seconds(
                    position, self.settings, self.active(now_ms), now_ms, paused=False
                )
            ),
            admission_expires_at=(
                place.admission_expires_at if status is QueueStatus.ADMITTED else None
            ),
            paused=self.paused,
            draw_pending=drawing,
        )

    # presale codes ---------------------------------------------------------------------

    def add_codes(self, codes: list[AccessCode]) -> None:
        if any(code.digest in self.codes for code in codes):
            raise CodeExists()
        for code in codes:
            self.codes[code.digest] = ModelCode(code)

    def code_uses(self) -> list[CodeUses]:
        return [CodeUses(c.code, c.uses) for c in self.codes.values()]

    def _in_presale(self, now_ms: int) -> bool:
        presale = self.settings.presale
        return presale is not None and now_ms < presale.closes_at_ms

    def _opening(self, now_ms: int) -> int:
        presale = self.settings.presale
        if presale is not None and self._in_presale(now_ms):
            return presale.opens_at_ms
        return self.settings.opens_at_ms

    def _take_code(self, user_id: str, digest: str | None, now_ms: int) -> None:
        """A code until the presale closes (one with a use left), none after."""
        if not self._in_presale(now_ms):
            if digest is not None:
                raise InvalidCode()
            self.code_of.pop(user_id, None)
            return
        if digest is None:
            raise CodeRequired()
        entry = self.codes.get(digest)
        if entry is None or entry.uses >= entry.code.max_uses:
            raise InvalidCode()
        entry.uses += 1
        self.code_of[user_id] = digest
        event_id = self.settings.event_id
        self.emitted.append(CodeUseMessage.of(event_id, digest, user_id, entry.uses, now_ms))

    def enter(self, user_id: str, now_ms: int, code: str | None = None) -> QueueView:
        if self.closed:
            raise SaleClosed()
        if self.sold_out:
            raise SoldOut()
        place = self._place(user_id, now_ms)
        if place is None or place.status in (
            QueueStatus.COMPLETED,
            QueueStatus.EXPIRED,
            QueueStatus.ABANDONED,
        ):
            self._take_code(user_id, code, now_ms)
            self.places[user_id] = ModelPlace(self.next_seq, QueueStatus.WAITING)
            if now_ms < self.settings.opens_at_ms and not self.drawn:
                self.last_preopen_seq = self.next_seq
            self.next_seq += 1
            self.waiting.append(user_id)
        return self.view(user_id, now_ms)

    @property
    def draw_pending(self) -> bool:
        return self.settings.draw_at_opening and not self.drawn

    def draw(self, now_ms: int) -> None:
        """Those waiting who entered before the opening, sorted by SHA-1 of seed:user, take
        the numbers just below the first entry after it; the rest keep theirs, behind."""
        seed = self.settings.draw_seed or ""
        cut = self.last_preopen_seq
        entrants = [u for u in self.waiting if self.places[u].seq <= cut]
        order = sorted(
            entrants,
            key=lambda u: (
                hashlib.sha1(f"{seed}:{u}".encode(), usedforsecurity=False).hexdigest(),
                u,
            ),
        )
        for offset, user in enumerate(order):
            self.places[user].seq = cut - len(order) + 1 + offset
        self.waiting = order + [u for u in self.waiting if self.places[u].seq > cut]
        self.left_seqs = {seq for seq in self.left_seqs if seq > cut}
        self.drawn = True
        self.emitted.append(DrawMessage.of(self.settings.event_id, 1, 1, 1, tuple(order), now_ms))

    def keep_present(self, user_ids: list[str], now_ms: int) -> None:
        for user_id in user_ids:
            place = self.places.get(user_id)
            if place is not None and place.status is QueueStatus.WAITING:
                place.last_seen = now_ms

    def leave(self, user_id: str, now_ms: int) -> bool:
        place = self._place(user_id, now_ms)
        if place is None:
            return False
        if place.status is QueueStatus.WAITING:
            self.waiting.remove(user_id)
            self.left_seqs.add(place.seq)
        del self.places[user_id]
        return True

    def admit(self, now_ms: int, limit: int) -> tuple[list[str], int]:
        due = sorted(
            (place.admission_expires_at, user)
            for user, place in self.places.items()
            if place.status is QueueStatus.ADMITTED and place.admission_expires_at <= now_ms
        )[:limit]
        for _, user in due:
            self.places[user].status = QueueStatus.EXPIRED
        if now_ms >= self.settings.opens_at_ms and self.draw_pending:
            self.draw(now_ms)
        if now_ms < self._opening(now_ms) or self.sold_out or self.settings.state != "OPEN":
            return [], len(due)
        rate = self.settings.admission_rate_per_second
        if now_ms > self.bucket_at:
            self.bucket_milli = min(
                rate * 1000, self.bucket_milli + (now_ms - self.bucket_at) * rate
            )
            self.bucket_at = now_ms
        # The bucket holds one second of the rate in force: a lowered rate lowers it at once.
        self.bucket_milli = min(rate * 1000, self.bucket_milli)
        holding = sum(1 for p in self.places.values() if p.status is QueueStatus.ADMITTED)
        admitted: list[str] = []
        skipped = 0
        timeout = self.settings.presence_timeout_seconds * 1000
        while (
            self.waiting
            and self.bucket_milli >= 1000
            and holding + len(admitted) < self.settings.max_active_users
            and len(admitted) < limit
            and skipped < limit
        ):
            user_id = self.waiting.pop(0)
            place = self.places[user_id]
            if timeout and now_ms - max(place.last_seen, self.presence_since) > timeout:
                # Absent when their turn came: skipped, and the turn goes to the next.
                place.status = QueueStatus.ABANDONED
                skipped += 1
                self.abandoned += 1
                continue
            place.status = QueueStatus.ADMITTED
            place.admission_expires_at = now_ms + self.settings.admission_ttl_ms
            self.bucket_milli -= 1000
            admitted.append(user_id)
            self.admission_log.append((now_ms, user_id, place.seq))
        return admitted, len(due)

    # reservations ---------------------------------------------------------------------

    def reserve(
        self,
        user_id: str,
        quantity: int,
        reservation_id: str,
        key: str | None,
        now_ms: int,
        items: tuple[ReservationItem, ...] = (),
    ) -> Reservation:
        if key is not None and (user_id, key) in self.answers:
            first, at = self.answers[(user_id, key)]
            if now_ms - at < DAY_MS:
                return first
        if self.closed:
            raise SaleClosed()
        place = self._place(user_id, now_ms)
        held = self.held_by(user_id)
        if place is None or place.status is not QueueStatus.ADMITTED:
            completed = place is not None and place.status is QueueStatus.COMPLETED
            if completed and held >= self.settings.max_per_user:
                raise LimitExceeded()
            raise NotAdmitted()
        digest = self.code_of.get(user_id)
        unlocked = None if digest is None else self.codes[digest].code.categories
        if unlocked is not None and any(i.category_id not in unlocked for i in items):
            raise InvalidCode()
        if held + quantity > self.settings.max_per_user:
            raise LimitExceeded()
        self._check_categories(user_id, items)
        if self.remaining == 0:
            raise SoldOut()
        if quantity > self.remaining:
            raise InsufficientSeats()
        made = Reservation(
            reservation_id,
            self.settings.event_id,
            user_id,
            quantity,
            ReservationStatus.PENDING,
            created_at=now_ms,
            expires_at=now_ms + self.settings.hold_ttl_ms,
            updated_at=now_ms,
            items=items,
        )
        self.reservations[reservation_id] = made
        self.remaining -= quantity
        for item in items:
            self.category_remaining[item.category_id] -= item.quantity
        if held + quantity == self.settings.max_per_user:
            place.status = QueueStatus.COMPLETED
        if key is not None:
            self.answers[(user_id, key)] = (made, now_ms)
        self.emitted.append(ReservationMessage.of(made))
        return made

    def _check_categories(self, user_id: str, items: tuple[ReservationItem, ...]) -> None:
        """Every category's limit first, then every category's seats."""
        limits = {c.category_id: c.max_per_user for c in self.settings.categories or ()}
        for item in items:
            held = self.held_of_category(user_id, item.category_id)
            if held + item.quantity > limits[item.category_id]:
                raise LimitExceeded()
        for item in items:
            if self.category_remaining[item.category_id] == 0:
                raise SoldOut()
            if item.quantity > self.category_remaining[item.category_id]:
                raise InsufficientSeats()

    def _move(self, reservation_id: str, status: ReservationStatus, now_ms: int) -> Reservation:
        moved = self.reservations[reservation_id].moved_to(status, now_ms)
        self.reservations[reservation_id] = moved
        if status is not ReservationStatus.CONFIRMED:
            self.remaining += moved.quantity
            for item in moved.items:
                self.category_remaining[item.category_id] += item.quantity
        self.emitted.append(ReservationMessage.of(moved))
        return moved

    def _mine(self, user_id: str, reservation_id: str) -> Reservation:
        found = self.reservations.get(reservation_id)
        if found is None or found.user_id != user_id:
            raise ReservationNotFound()
        return found

    def _lapsed(self, reservation: Reservation, now_ms: int) -> bool:
        return reservation.status is ReservationStatus.PENDING and reservation.expires_at <= now_ms

    def confirm(self, user_id: str, reservation_id: str, now_ms: int) -> Reservation:
        found = self._mine(user_id, reservation_id)
        if self._lapsed(found, now_ms):
            self._move(reservation_id, ReservationStatus.EXPIRED, now_ms)
            raise HoldExpired()
        status = found.status
        if status is ReservationStatus.CONFIRMED:
            return found
        if status is ReservationStatus.EXPIRED:
            raise HoldExpired()
        if status is ReservationStatus.CANCELLED:
            raise InvalidState()
        return self._move(reservation_id, ReservationStatus.CONFIRMED, now_ms)

    def cancel(self, user_id: str, reservation_id: str, now_ms: int) -> Reservation:
        found = self._mine(user_id, reservation_id)
        if self._lapsed(found, now_ms):
            self._move(reservation_id, ReservationStatus.EXPIRED, now_ms)
            raise InvalidState()
        if found.status is ReservationStatus.CANCELLED:
            return found
        if found.status is not ReservationStatus.PENDING:
            raise InvalidState()
        return self._move(reservation_id, ReservationStatus.CANCELLED, now_ms)

    def expire_holds(self, now_ms: int) -> list[Reservation]:
        due = sorted(
            (r.expires_at, r.reservation_id)
            for r in self.reservations.values()
            if self._lapsed(r, now_ms)
        )
        return [self._move(rid, ReservationStatus.EXPIRED, now_ms) for _, rid in due]


def outcome_code(error: DomainError | None) -> str:
    return "ok" if error is None else error.code
