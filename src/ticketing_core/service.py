"""The application service: the one place that turns a request into port calls."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ticketing_core.categories import items_asked
from ticketing_core.changes import SaleChange
from ticketing_core.clock import Clock
from ticketing_core.codes import (
    ACCESS_CODE,
    MAX_CODE_USES,
    MAX_CODES_PER_CALL,
    AccessCode,
    CodeUses,
    code_digest,
)
from ticketing_core.errors import EventNotFound, InvalidInput, ReservationNotFound
from ticketing_core.messages import EventChangeMessage
from ticketing_core.model import (
    AdmissionReport,
    EventStats,
    QueueSnapshot,
    QueueView,
    Reservation,
    ReservationItem,
)
from ticketing_core.ports import EventCatalog, QueueStore, ReservationRepository, StockStore
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_core.settings import EventSettings

HOLDS_EXPIRED_PER_TICK = 1_000


@dataclass(frozen=True, slots=True)
class TickReport:
    admissions: AdmissionReport
    expired_holds: tuple[Reservation, ...]


class TicketingService:
    """Events, the waiting room and reservations, on whatever adapters it is given.

    Each instance caches the settings of each event, so that the hot paths (enter, status,
    reserve) make exactly one store call. An operator may change them through any instance:
    the stores keep the sale's state (open, paused, closed) and its seats themselves, so a
    pause, a close or a seat change holds at once everywhere; the other settings (rate, cap,
    TTLs, name) reach an instance's cache at its next tick, which reads them afresh. An event
    may also be deleted through another instance: the stores then refuse with
    ``EventNotFound`` (they check that the event exists, whatever settings they are given),
    and this instance drops the entry, so that an id created again later is read afresh.
    """

    def __init__(
        self,
        *,
        catalog: EventCatalog,
        queue: QueueStore,
        stock: StockStore,
        clock: Clock,
        durable_record: ReservationRepository | None = None,
        on_change: Callable[[str], None] = lambda event_id: None,
    ) -> None:
        """``on_change`` hears the event id after every call that changed a sale (create,
        enter, leave, reserve, confirm, cancel): what background work may have to follow."""
        self._catalog = catalog
        self._queue = queue
        self._stock = stock
        self._clock = clock
        self._record = durable_record
        self._on_change = on_change
        self._settings: dict[str, EventSettings] = {}

    @property
    def clock(self) -> Clock:
        return self._clock

    # -- events -----------------------------------------------------------------------

    async def create_event(self, settings: EventSettings) -> EventSettings:
        """Raises ``InvalidInput`` for a sale that draws its pre-queue without a seed."""
        if settings.draw_at_opening and settings.draw_seed is None:
            raise InvalidInput("draw_seed: required with draw_at_opening")
        await self._catalog.add(settings, self._clock.now_ms())
        self._settings[settings.event_id] = settings
        self._on_change(settings.event_id)
        return settings

    async def event(self, event_id: str) -> EventSettings:
        settings = self._settings.get(event_id)
        if settings is None:
            settings = await self._catalog.get(event_id)
            if settings is None:
                raise EventNotFound(f"no event {event_id!r}")
            self._settings[event_id] = settings
        return settings

    async def event_ids(self) -> list[str]:
        return await self._catalog.event_ids()

    async def change_event(self, event_id: str, change: SaleChange, actor: str) -> EventSettings:
        """An operator's change (``SaleChange``), asked for by ``actor`` (recorded with it);
        answers the settings after it."""
        try:
            changed = await self._catalog.change(event_id, change, actor, self._clock.now_ms())
        except EventNotFound:
            self._forget(event_id)
            raise
        self._settings[event_id] = changed
        self._on_change(event_id)
        return changed

    async def changes(self, event_id: str) -> list[EventChangeMessage]:
        """The operator's changes of the event as the durable record holds them, oldest
        first. The record follows the outbox, so a change just made appears once relayed
        and stored; without a durable record nothing is recorded."""
        await self.event(event_id)
        if self._record is None:
            return []
        return await self._record.changes_of(event_id)

    async def add_codes(
        self,
        event_id: str,
        codes: Sequence[str],
        max_uses: int,
        categories: Sequence[str] | None = None,
    ) -> list[AccessCode]:
        """Issues access codes to the sale's presale, each good for ``max_uses`` entries
        and, with ``categories``, for seats of those only; answers them as stored (digests).
        Raises ``InvalidInput`` (no presale, or over; a code malformed or twice; a category
        the sale has not), ``CodeExists`` (nothing issued), ``EventNotFound``."""
        settings = await self.event(event_id)
        if settings.presale is None:
            raise InvalidInput("codes: this sale has no presale")
        if not settings.needs_code_at(self._clock.now_ms()):
            raise InvalidInput("codes: the presale is over")
        if not 1 <= max_uses <= MAX_CODE_USES:
            raise InvalidInput(f"maxUses: 1..{MAX_CODE_USES:,}")
        if not 1 <= len(codes) <= MAX_CODES_PER_CALL or len(set(codes)) != len(codes):
            raise InvalidInput(f"codes: 1..{MAX_CODES_PER_CALL:,}, each once")
        if not all(ACCESS_CODE.matches(code) for code in codes):
            raise InvalidInput(f"codes: each must match {ACCESS_CODE.json_schema_pattern}")
        unlocked = None if categories is None else tuple(categories)
        if unlocked is not None:
            if settings.categories is None:
                raise InvalidInput("categories: this sale has no seat categories")
            if not unlocked or len(set(unlocked)) != len(unlocked):
                raise InvalidInput("categories: one or more, each once")
            unknown = [c for c in unlocked if settings.category(c) is None]
            if unknown:
                raise InvalidInput(f"categories: no category {unknown[0]!r} here")
        issued = [AccessCode(code_digest(event_id, code), max_uses, unlocked) for code in codes]
        try:
            await self._catalog.add_codes(event_id, issued)
        except EventNotFound:
            self._forget(event_id)
            raise
        return issued

    async def codes(self, event_id: str) -> list[CodeUses]:
        """The sale's access codes (as digests) with the entries each let in."""
        await self.event(event_id)
        try:
            return await self._catalog.codes(event_id)
        except EventNotFound:
            self._forget(event_id)
            raise

    async def delete_event(self, event_id: str) -> None:
        """Removes an event that never had a reservation, with its waiting room: whoever
        waits or is admitted loses their place. Raises ``EventHasReservations`` (nothing
        changed) or ``EventNotFound``."""
        try:
            await self._catalog.remove(event_id)
        finally:
            # Also when refused: the next read costs one store call, and an event deleted
            # through another instance (EventNotFound) must not linger here.
            self._forget(event_id)

    async def stats(self, event_id: str) -> EventStats:
        settings = await self.event(event_id)
        try:
            stock = await self._stock.stats(settings)
            queue = await self._queue.snapshot(settings, self._clock.now_ms())
        except EventNotFound:
            self._forget(event_id)
            raise
        return EventStats(
            remaining_seats=stock.remaining,
            waiting_users=queue.waiting,
            active_users=queue.active,
            pending_seats=stock.pending_seats,
            confirmed_seats=stock.confirmed_seats,
            abandoned_users=queue.abandoned,
            draw_pending=queue.draw_pending,
            categories=stock.categories,
        )

    # -- waiting room -----------------------------------------------------------------

    async def enter(self, event_id: str, user_id: str, code: str | None = None) -> QueueView:
        """``code``: the access code the user brings, which a new place needs until a
        presale closes (and may not bring after)."""
        settings = await self.event(event_id)
        digest = None if code is None else code_digest(event_id, code)
        try:
            view = await self._queue.enter(settings, user_id, self._clock.now_ms(), digest)
        except EventNotFound:
            self._forget(event_id)
            raise
        self._on_change(event_id)
        return view

    async def queue_status(self, event_id: str, user_id: str) -> QueueView:
        settings = await self.event(event_id)
        try:
            return await self._queue.status(settings, user_id, self._clock.now_ms())
        except EventNotFound:
            self._forget(event_id)
            raise

    async def keep_present(self, event_id: str, user_ids: Sequence[str]) -> int:
        """The waiting users are there (their streams are open). Answers the event's
        ``presence_timeout_seconds`` (0: presence is off), so the caller knows how often to
        come back."""
        settings = await self.event(event_id)
        if settings.presence_timeout_seconds and user_ids:
            try:
                await self._queue.keep_present(settings, user_ids, self._clock.now_ms())
            except EventNotFound:
                self._forget(event_id)
                raise
        return settings.presence_timeout_seconds

    async def leave(self, event_id: str, user_id: str) -> bool:
        settings = await self.event(event_id)
        try:
            left = await self._queue.leave(settings, user_id, self._clock.now_ms())
        except EventNotFound:
            self._forget(event_id)
            raise
        self._on_change(event_id)
        return left

    async def snapshot(self, event_id: str) -> QueueSnapshot:
        settings = await self.event(event_id)
        try:
            return await self._queue.snapshot(settings, self._clock.now_ms())
        except EventNotFound:
            self._forget(event_id)
            raise

    async def tick(self, event_id: str) -> TickReport:
        """Admits the next users and expires due holds; background drivers call it often.
        It reads the event's settings afresh: how an operator's change made through another
        instance reaches this one."""
        settings = await self._catalog.get(event_id)
        if settings is None:
            self._forget(event_id)
            raise EventNotFound(f"no event {event_id!r}")
        self._settings[event_id] = settings
        now = self._clock.now_ms()
        try:
            expired = await self._stock.expire_holds(settings, now, HOLDS_EXPIRED_PER_TICK)
        except EventNotFound:
            self._forget(event_id)
            raise
        admitted: list[str] = []
        ended = abandoned = 0
        while True:
            # Read afresh each step: a long draw must not stamp the admissions after it late.
            step = await self._queue.admit(settings, self._clock.now_ms(), ADMISSIONS_PER_CALL)
            admitted.extend(step.admitted)
            ended += step.expired_admissions
            abandoned += step.abandoned
            # A step that reached its limit in any of its three parts, or drew only part of
            # the pre-queue, may have left work due.
            if not step.drawing and ADMISSIONS_PER_CALL not in (
                len(step.admitted),
                step.expired_admissions,
                step.abandoned,
            ):
                break
        admissions = AdmissionReport(
            admitted=tuple(admitted), expired_admissions=ended, abandoned=abandoned
        )
        return TickReport(admissions=admissions, expired_holds=tuple(expired))

    # -- reservations -----------------------------------------------------------------

    async def reserve(
        self,
        event_id: str,
        user_id: str,
        quantity: int,
        idempotency_key: str | None = None,
        *,
        category_id: str | None = None,
        items: Sequence[ReservationItem] = (),
    ) -> Reservation:
        """``quantity`` seats of ``category_id`` (unnamed in a sale of one category or
        none), or the seats of several categories at once (``items``, adding up to
        ``quantity``), all or nothing."""
        if quantity < 1:
            raise InvalidInput("quantity must be at least 1")
        if idempotency_key is not None and not 1 <= len(idempotency_key) <= 255:
            raise InvalidInput("an Idempotency-Key has 1..255 characters")
        settings = await self.event(event_id)
        asked = items_asked(settings, quantity, category_id, items)
        try:
            held = await self._stock.reserve(
                settings,
                user_id,
                quantity,
                new_reservation_id(),
                idempotency_key,
                self._clock.now_ms(),
                asked,
            )
        except EventNotFound:
            self._forget(event_id)
            raise
        self._on_change(event_id)
        return held

    async def reservation(self, event_id: str, user_id: str, reservation_id: str) -> Reservation:
        """The user's own reservation, from the hot state or else from the durable record."""
        found = await self._stock.get(event_id, reservation_id)
        if found is None and self._record is not None:
            found = await self._record.get(reservation_id)
        if found is None or found.user_id != user_id or found.event_id != event_id:
            raise ReservationNotFound(f"no reservation {reservation_id} of yours")
        return found

    async def confirm(self, event_id: str, user_id: str, reservation_id: str) -> Reservation:
        settings = await self.event(event_id)
        try:
            confirmed = await self._stock.confirm(
                settings, user_id, reservation_id, self._clock.now_ms()
            )
        except EventNotFound:
            self._forget(event_id)
            raise
        self._on_change(event_id)
        return confirmed

    async def cancel(self, event_id: str, user_id: str, reservation_id: str) -> Reservation:
        settings = await self.event(event_id)
        try:
            cancelled = await self._stock.cancel(
                settings, user_id, reservation_id, self._clock.now_ms()
            )
        except EventNotFound:
            self._forget(event_id)
            raise
        self._on_change(event_id)
        return cancelled

    def _forget(self, event_id: str) -> None:
        """Drops the cached settings of an event the stores may no longer know."""
        self._settings.pop(event_id, None)


def new_reservation_id() -> str:
    return str(uuid.uuid4())
