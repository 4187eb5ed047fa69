"""Ports: what the core needs from the outside world, as ``typing.Protocol``s named by role.

Every operation that must be atomic (take seats *and* record the hold *and* note the message,
say) is a single call here, so that an adapter can make it one transaction: one Lua script in
Redis, one locked step in memory. The rules every adapter must follow are the ones of
``ticketing_core.sale.SaleState`` and are checked by ``ticketing_core.testing``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from ticketing_core.budgets import Budget
from ticketing_core.changes import SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.messages import DrawMessage, EventChangeMessage, Message
from ticketing_core.model import (
    AdmissionReport,
    QueueSnapshot,
    QueueView,
    Reservation,
    ReservationItem,
    StockStats,
)
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_core.settings import EventSettings


class EventCatalog(Protocol):
    async def add(self, settings: EventSettings, now_ms: int) -> None:
        """Registers the event and puts its ``total_seats`` on sale, in one step.

        Raises ``EventExists`` when the id is taken.
        """
        ...

    async def get(self, event_id: str) -> EventSettings | None: ...

    async def change(
        self, event_id: str, change: SaleChange, actor: str, now_ms: int
    ) -> EventSettings:
        """Applies an operator's change (``SaleChange.applied_to``) in one step with the
        event's stock and, when it changed something, its ``EventChangeMessage`` (naming
        ``actor``, who asked) in the outbox; answers the settings after it.

        Raises what the rule raises (``SaleClosed``, ``InsufficientSeats``, ``InvalidInput``)
        with nothing changed, and ``EventNotFound``.
        """
        ...

    async def event_ids(self) -> list[str]:
        """Every registered event, oldest first."""
        ...

    async def add_codes(self, event_id: str, codes: Sequence[AccessCode]) -> None:
        """Issues a presale's access codes (by their digests), all or none: raises
        ``CodeExists`` when one was issued before, ``EventNotFound``."""
        ...

    async def codes(self, event_id: str) -> list[CodeUses]:
        """Every code of the event, in the order of issue, with the entries it let in."""
        ...

    async def remove(self, event_id: str) -> None:
        """Forgets the event with its whole waiting room and stock, in one step, so that its
        id may be added again as a new event.

        Only an event that never had a reservation (of any status) may go: raises
        ``EventHasReservations`` (nothing removed) when one was ever made, and
        ``EventNotFound`` when there is no such event.
        """
        ...


class QueueStore(Protocol):
    async def enter(
        self, settings: EventSettings, user_id: str, now_ms: int, code: str | None = None
    ) -> QueueView:
        """Idempotent while the user waits or is admitted; a new place at the back otherwise.

        Until a presale closes (``EventSettings.needs_code_at``), a new place needs an access
        code (``code``: its digest) with a use left, and that use is counted with the place
        (and its ``CodeUseMessage`` recorded) in one step; after, it needs none and refuses
        one. Raises ``SoldOut`` when the event is sold out (no seat left, no hold pending),
        ``CodeRequired``, ``InvalidCode``.
        """
        ...

    async def status(self, settings: EventSettings, user_id: str, now_ms: int) -> QueueView:
        """Raises ``NotInQueue`` when the user holds no place (never entered, or left)."""
        ...

    async def keep_present(
        self, settings: EventSettings, user_ids: Sequence[str], now_ms: int
    ) -> None:
        """The users are there (their streams are open): those waiting are seen at ``now_ms``
        (``presence_timeout_seconds``). Entering and reading one's status count too."""
        ...

    async def leave(self, settings: EventSettings, user_id: str, now_ms: int) -> bool:
        """Gives up the user's place or admission; False when there was none."""
        ...

    async def admit(
        self, settings: EventSettings, now_ms: int, limit: int = ADMISSIONS_PER_CALL
    ) -> AdmissionReport:
        """One admission step: ends up to ``limit`` due admissions (earliest first), then admits
        up to ``limit`` users from the head in FIFO order while fewer than
        ``max_active_users`` hold an admission and within the global token bucket of
        ``admission_rate_per_second``; nobody before ``opens_at``, nobody when sold out or
        not ``OPEN``. A user at the head not seen within ``presence_timeout_seconds`` is
        skipped (``ABANDONED``, at most ``limit`` of them) rather than admitted. At the
        opening of a sale with ``draw_at_opening`` the step first draws the pre-queue; a store
        may do that over several steps, each answering ``drawing`` and admitting nobody."""
        ...

    async def snapshot(self, settings: EventSettings, now_ms: int) -> QueueSnapshot: ...


class StockStore(Protocol):
    async def reserve(
        self,
        settings: EventSettings,
        user_id: str,
        quantity: int,
        reservation_id: str,
        idempotency_key: str | None,
        now_ms: int,
        items: tuple[ReservationItem, ...] = (),
    ) -> Reservation:
        """Takes seats for an admitted user, all or nothing, and records the hold and its
        ``reservation.created`` message atomically. In a sale with seat categories,
        ``items`` (``categories.items_asked``: known categories in the sale's order, adding up
        to ``quantity``) says how many of each; each is within its category's per-user limit
        and seats, and the whole within the sale's limit, or nothing is taken.

        With an ``idempotency_key`` seen for this user within 24 hours, answers the reservation
        that key made (as it was made) and changes nothing. Raises ``NotAdmitted``,
        ``LimitExceeded``, ``SoldOut`` or ``InsufficientSeats``.
        """
        ...

    async def confirm(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        """PENDING -> CONFIRMED (again: no change). Raises ``ReservationNotFound`` (also for
        another user's id), ``HoldExpired`` (the hold's time ran out: it expires now if it had
        not yet) or ``InvalidState``."""
        ...

    async def cancel(
        self, settings: EventSettings, user_id: str, reservation_id: str, now_ms: int
    ) -> Reservation:
        """PENDING -> CANCELLED, seats return (again: no change). Raises
        ``ReservationNotFound`` or ``InvalidState`` (confirmed, or expired)."""
        ...

    async def expire_holds(
        self, settings: EventSettings, now_ms: int, limit: int
    ) -> list[Reservation]:
        """Expires up to ``limit`` PENDING holds whose time ran out; their seats return."""
        ...

    async def get(self, event_id: str, reservation_id: str) -> Reservation | None: ...

    async def stats(self, settings: EventSettings) -> StockStats: ...


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    entry_id: str
    message: Message


class Outbox(Protocol):
    """Messages recorded by the stores atomically with the change they describe."""

    async def claim(self, event_id: str, consumer: str, limit: int) -> list[OutboxEntry]:
        """Entries not yet acknowledged, oldest first; entries another consumer claimed long
        ago and never acknowledged (it crashed) are handed out again."""
        ...

    async def acknowledge(self, event_id: str, entry_ids: Sequence[str]) -> None:
        """Removes entries after their messages were delivered."""
        ...


class EventBus(Protocol):
    async def publish(self, messages: Sequence[Message]) -> None:
        """Returns once every message is durably delivered; raises if any was not."""
        ...


class ReservationRepository(Protocol):
    """The durable record (PostgreSQL in production), written from the message stream."""

    async def save_event(self, settings: EventSettings) -> None:
        """Idempotent: an event already recorded keeps its row."""
        ...

    async def delete_event(self, event_id: str) -> bool:
        """Removes the event's record; False when there was none (idempotent). Raises
        ``EventHasReservations`` (nothing removed) while any reservation of it is recorded."""
        ...

    async def apply(self, messages: Sequence[Message]) -> None:
        """Upserts reservations from messages, idempotently: a message seen twice changes
        nothing, and a status never moves backwards (a late PENDING never undoes a terminal
        status). An operator's change is recorded once per version, and the event's settings
        follow the newest version recorded (a late, older change never undoes a newer one)."""
        ...

    async def changes_of(self, event_id: str) -> list[EventChangeMessage]:
        """The operator's changes of the event recorded so far, oldest (version 1) first."""
        ...

    async def draw_of(self, event_id: str) -> list[DrawMessage]:
        """The recorded parts of the event's drawn pre-queue, by part; [] if none yet."""
        ...

    async def save_codes(self, event_id: str, codes: Sequence[AccessCode]) -> list[str]:
        """Records access codes about to be issued (their digests); one recorded before keeps
        its row. Answers the digests it recorded now."""
        ...

    async def forget_codes(self, event_id: str, digests: Sequence[str]) -> None:
        """Takes back codes recorded by ``save_codes`` whose issue was refused."""
        ...

    async def codes_of(self, event_id: str) -> list[CodeUses]:
        """The event's recorded codes, in the order of issue, with their recorded uses
        (``CodeUseMessage``, each counted once)."""
        ...

    async def get(self, reservation_id: str) -> Reservation | None: ...

    async def reservations_of(self, event_id: str) -> list[Reservation]: ...


class RequestBudgets(Protocol):
    """Buckets of requests (``ticketing_core.budgets``), shared by every instance that shares
    the store, so that a client's budget holds over all of them."""

    async def spend(self, buckets: Sequence[tuple[str, Budget]]) -> tuple[int, int]:
        """Takes one request from each of ``buckets`` (each named, with its budget; created
        full on first use) if every one has room, else from none. Answers ``(0, 0)`` when it
        passed, else the index of the bucket that has room last and the microseconds until it
        has (until then the request is refused anyway). Buckets are kept only while they are
        not full again, so that a crowd of one-off clients costs nothing after it left."""
        ...


class SpentChallenges(Protocol):
    """Which entry challenges (proof of work) were used: each is good for one entry."""

    async def spend(self, event_id: str, challenge_id: str, valid_for_ms: int) -> bool:
        """Marks the challenge used; ``False`` when it was already. It is remembered for
        ``valid_for_ms`` (until the challenge expires anyway), then forgotten."""
        ...
