"""A stateful Hypothesis harness that proves any set of hot-state adapters against SPEC §4.

Give ``sale_machine`` a factory for the adapters; it returns a ``RuleBasedStateMachine`` class
that drives them and an independent ``SaleModel`` side by side through random sequences of
entering, leaving, ticking, reserving, confirming, cancelling, an operator's changes (pause,
resume, close, seats, settings), removing the event (and opening it again) and time passing,
and checks
after every step that both agree and that every invariant holds.

Hypothesis rules are synchronous, so the machine owns an event loop and runs each port call
to completion on it.
"""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from typing import TypeVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from ticketing_core.categories import items_asked
from ticketing_core.changes import SaleChange
from ticketing_core.clock import ManualClock
from ticketing_core.codes import AccessCode, code_digest
from ticketing_core.errors import DomainError, EventHasReservations, EventNotFound
from ticketing_core.model import (
    QueueStatus,
    QueueView,
    Reservation,
    ReservationItem,
    ReservationStatus,
)
from ticketing_core.ports import EventCatalog, Outbox, QueueStore, StockStore
from ticketing_core.settings import EventSettings, EventState
from ticketing_core.testing.model import SaleModel
from ticketing_core.testing.strategies import (
    CODE_POOL,
    USER_POOL,
    clock_steps,
    sale_changes,
    small_sale_settings,
)

T = TypeVar("T")
START_MS = 1_800_000_000_000
OPERATOR = "harness operator (key 00000000)"


@dataclass
class HotState:
    """The adapters under test and how to release them."""

    catalog: EventCatalog
    queue: QueueStore
    stock: StockStore
    outbox: Outbox
    close: Callable[[], Awaitable[None]]


HotStateFactory = Callable[[], Awaitable[HotState]]


def sale_machine(factory: HotStateFactory) -> type[RuleBasedStateMachine]:
    """A state machine class proving the adapters that ``factory`` builds."""

    class SaleMachine(_SaleMachineBase):
        make_hot_state = staticmethod(factory)

    return SaleMachine


class _SaleMachineBase(RuleBasedStateMachine):
    make_hot_state: HotStateFactory

    def __init__(self) -> None:
        super().__init__()
        self.loop = asyncio.new_event_loop()
        self.hot = self.run(self.make_hot_state())
        self.clock = ManualClock(START_MS)
        self.event_id = f"h-{uuid.uuid4().hex[:12]}"
        self.model: SaleModel | None = None
        self.admissions: list[tuple[int, str]] = []
        self.rates: list[tuple[int, int]] = []
        """(since when, admission rate) for each rate the sale has had."""
        self.largest_cap = 0
        self.reservation_ids: list[str] = []
        self.delivered: list[str] = []

    def run(self, awaitable: Awaitable[T]) -> T:
        return self.loop.run_until_complete(awaitable)

    def teardown(self) -> None:
        try:
            self.run(self.hot.close())
        finally:
            self.loop.close()

    @property
    def sale(self) -> SaleModel:
        assert self.model is not None
        return self.model

    @property
    def settings(self) -> EventSettings:
        return self.sale.settings

    def both(self, real: Awaitable[T], model: Callable[[], T]) -> T | None:
        """Runs the same request on the adapters and the model; both must agree on the
        outcome (the same error code, or success). Returns the adapters' answer."""
        try:
            answer: T | DomainError = self.run(real)
        except DomainError as error:
            answer = error
        return self._agree(answer, model)

    def both_at_once(self, calls: list[tuple[Awaitable[T], Callable[[], T]]]) -> None:
        """``both`` for requests that do not touch each other's state (reads of different
        users), sent to the adapters together: one round trip for all rather than one each."""

        async def together() -> list[T | BaseException]:
            return await asyncio.gather(*(real for real, _ in calls), return_exceptions=True)

        for answer, (_, model) in zip(self.run(together()), calls, strict=True):
            if isinstance(answer, BaseException) and not isinstance(answer, DomainError):
                raise answer
            self._agree(answer, model)

    def _agree(self, answer: T | DomainError, model: Callable[[], T]) -> T | None:
        real_error = answer if isinstance(answer, DomainError) else None
        model_error: DomainError | None = None
        expected: T | None = None
        try:
            expected = model()
        except DomainError as error:
            model_error = error
        real_code = real_error.code if real_error else "ok"
        model_code = model_error.code if model_error else "ok"
        assert real_code == model_code, f"adapters answered {real_code}, the rules say {model_code}"
        found = None if isinstance(answer, DomainError) else answer
        assert found == expected, f"adapters answered {found}, the rules say {expected}"
        return found

    # -- rules --------------------------------------------------------------------------

    @initialize(data=st.data())
    def open_sale(self, data: st.DataObject) -> None:
        settings = data.draw(small_sale_settings(self.event_id, START_MS))
        self.run(self.hot.catalog.add(settings, self.clock.now_ms()))
        self.model = SaleModel(settings)
        self.rates = [(0, settings.admission_rate_per_second)]
        self.largest_cap = settings.max_active_users

    @rule(change=sale_changes())
    def operator_changes_the_sale(self, change: SaleChange) -> None:
        """Answered like the rules say, and what the catalog gives back afterwards; the new
        rate and cap apply from now (the invariants allow each one where it was in force)."""
        self.both(
            self.hot.catalog.change(self.event_id, change, OPERATOR, self.clock.now_ms()),
            lambda: self.sale.change(change, OPERATOR, self.clock.now_ms()),
        )
        assert self.run(self.hot.catalog.get(self.event_id)) == self.settings
        if self.settings.admission_rate_per_second != self.rates[-1][1]:
            self.rates.append((self.clock.now_ms(), self.settings.admission_rate_per_second))
        self.largest_cap = max(self.largest_cap, self.settings.max_active_users)

    @rule(
        user=st.sampled_from(USER_POOL),
        code=st.one_of(st.none(), st.sampled_from(CODE_POOL)),
    )
    def enter(self, user: str, code: str | None) -> None:
        """With an access code or none, in a presale or not."""
        now = self.clock.now_ms()
        digest = None if code is None else code_digest(self.event_id, code)
        first = self.both(
            self.hot.queue.enter(self.settings, user, now, digest),
            lambda: self.sale.enter(user, now, digest),
        )
        if first is not None:
            again = self.run(self.hot.queue.enter(self.settings, user, now, digest))
            assert again == first, "entering again must keep the place (and take no use)"

    @precondition(lambda self: self.model is not None and self.settings.presale is not None)
    @rule(
        data=st.data(),
        codes=st.lists(st.sampled_from(CODE_POOL[:-1]), min_size=1, unique=True),
        max_uses=st.integers(1, 3),
    )
    def operator_issues_codes(self, data: st.DataObject, codes: list[str], max_uses: int) -> None:
        """Codes for the presale (some issued twice: refused whole), some unlocking only
        some of the sale's categories."""
        unlocked = None
        if self.settings.categories is not None:
            chosen = data.draw(
                st.one_of(
                    st.none(),
                    st.lists(st.sampled_from(self.settings.categories), min_size=1, unique=True),
                )
            )
            unlocked = None if chosen is None else tuple(c.category_id for c in chosen)
        issued = [
            AccessCode(code_digest(self.event_id, code), max_uses, unlocked) for code in codes
        ]
        self.both(
            self.hot.catalog.add_codes(self.event_id, issued),
            lambda: self.sale.add_codes(issued),
        )

    @rule(user=st.sampled_from(USER_POOL))
    def leave(self, user: str) -> None:
        now = self.clock.now_ms()
        self.both(
            self.hot.queue.leave(self.settings, user, now), lambda: self.sale.leave(user, now)
        )

    @rule(step=clock_steps())
    def time_passes(self, step: int) -> None:
        self.clock.advance(step)

    @rule(
        step=clock_steps(),
        streaming=st.lists(st.sampled_from(USER_POOL), unique=True),
        limit=st.sampled_from([1, 2, 2_000]),
    )
    def time_passes_with_only_the_streaming_buyers_there(
        self, step: int, streaming: list[str], limit: int
    ) -> None:
        """Time passes, buyers whose streams are open stay present, the others say nothing;
        then the drivers tick: whoever was absent too long at their turn is skipped."""
        self.clock.advance(step)
        now = self.clock.now_ms()
        self.run(self.hot.queue.keep_present(self.settings, streaming, now))
        self.sale.keep_present(streaming, now)
        self.tick(limit)

    @rule(limit=st.sampled_from([1, 2, 2_000]))
    def tick(self, limit: int) -> None:
        """What the background drivers do: expire due holds, then admit (in steps of
        ``limit``, so that partial steps are exercised too)."""
        now = self.clock.now_ms()
        expired = self.run(self.hot.stock.expire_holds(self.settings, now, 1_000))
        expected = self.sale.expire_holds(now)
        assert sorted(r.reservation_id for r in expired) == sorted(
            r.reservation_id for r in expected
        )
        assert all(r.status is ReservationStatus.EXPIRED for r in expired)
        report = self.run(self.hot.queue.admit(self.settings, now, limit))
        ended_while_drawing = 0
        while report.drawing:  # a store that draws the pre-queue over several steps
            assert report.admitted == (), "nobody is admitted before the draw is done"
            ended_while_drawing += report.expired_admissions
            report = self.run(self.hot.queue.admit(self.settings, now, limit))
        report = replace(report, expired_admissions=report.expired_admissions + ended_while_drawing)
        admitted, ended = self.sale.admit(now, limit)
        assert list(report.admitted) == admitted, "admission must follow the order of entry"
        assert report.expired_admissions == ended
        self.admissions.extend((now, user) for user in report.admitted)

    @rule(
        data=st.data(),
        user=st.sampled_from(USER_POOL),
        quantity=st.integers(1, 5),
        key=st.one_of(st.none(), st.sampled_from(["k1", "k2"])),
    )
    def reserve(self, data: st.DataObject, user: str, quantity: int, key: str | None) -> None:
        """In a sale with seat categories, seats of one or several of them at once."""
        now = self.clock.now_ms()
        new_id = f"r-{len(self.reservation_ids) + 1}"
        items: tuple[ReservationItem, ...] = ()
        if self.settings.categories is not None:
            # As often several categories at once as one.
            several = data.draw(st.sampled_from([1, 2, 3]))
            categories = data.draw(st.permutations(self.settings.categories))[:several]
            seats = [data.draw(st.integers(1, 2)) for _ in categories]
            asked = [
                ReservationItem(c.category_id, n) for c, n in zip(categories, seats, strict=True)
            ]
            quantity = sum(seats)
            items = items_asked(self.settings, quantity, None, asked)
        made = self.both(
            self.hot.stock.reserve(self.settings, user, quantity, new_id, key, now, items),
            lambda: self.sale.reserve(user, quantity, new_id, key, now, items),
        )
        if made is not None and made.reservation_id == new_id:
            self.reservation_ids.append(new_id)
        if made is not None and key is not None:
            replay = self.run(
                self.hot.stock.reserve(
                    self.settings, user, quantity, f"{new_id}-b", key, now, items
                )
            )
            assert replay == made, "the same Idempotency-Key must give the same reservation"

    @rule(data=st.data(), user=st.sampled_from(USER_POOL), quantity=st.integers(1, 3))
    def a_buyer_comes_in_and_reserves(self, data: st.DataObject, user: str, quantity: int) -> None:
        """The path random sequences seldom walk to the end: enter (in a presale with a code
        that has a use left), the admissions' window comes, the drivers tick, reserve."""
        now = self.clock.now_ms()
        code = None
        if self.settings.needs_code_at(now):
            digests = {code_digest(self.event_id, c): c for c in CODE_POOL}
            usable = [digests[d] for d, c in self.sale.codes.items() if c.uses < c.code.max_uses]
            code = data.draw(st.sampled_from(usable)) if usable else None
        self.enter(user, code)
        opening = self.settings.opening_in_force_ms(now)
        if now < opening:
            self.clock.advance(opening - now)
        self.tick(2_000)
        self.reserve(data, user, quantity, None)

    @precondition(lambda self: bool(self.reservation_ids))
    @rule(data=st.data(), owner=st.booleans())
    def confirm(self, data: st.DataObject, owner: bool) -> None:
        rid, user = self._pick(data, owner)
        now = self.clock.now_ms()
        self.both(
            self.hot.stock.confirm(self.settings, user, rid, now),
            lambda: self.sale.confirm(user, rid, now),
        )

    @precondition(lambda self: bool(self.reservation_ids))
    @rule(data=st.data(), owner=st.booleans())
    def cancel(self, data: st.DataObject, owner: bool) -> None:
        rid, user = self._pick(data, owner)
        now = self.clock.now_ms()
        self.both(
            self.hot.stock.cancel(self.settings, user, rid, now),
            lambda: self.sale.cancel(user, rid, now),
        )

    @rule()
    def remove_and_open_again(self) -> None:
        """Removing the event is refused once any reservation was made, whatever became of
        it; otherwise nothing of the sale is left, and its id opens again as a new sale."""
        self.both(self.hot.catalog.remove(self.event_id), self._removed_by_the_rules)
        if self.sale.reservations:
            return
        now = self.clock.now_ms()
        assert self.event_id not in self.run(self.hot.catalog.event_ids())
        # Called with the settings a caller may still have cached: refused, and nothing made.
        user, settings = USER_POOL[0], self.settings
        one = (
            ()
            if settings.categories is None
            else (ReservationItem(settings.categories[0].category_id, 1),)
        )
        for call_on_the_removed_event in (
            lambda: self.hot.queue.enter(settings, user, now),
            lambda: self.hot.queue.status(settings, user, now),
            lambda: self.hot.queue.leave(settings, user, now),
            lambda: self.hot.queue.admit(settings, now),
            lambda: self.hot.queue.snapshot(settings, now),
            lambda: self.hot.stock.reserve(settings, user, 1, "r-gone", None, now, one),
            lambda: self.hot.stock.confirm(settings, user, "r-gone", now),
            lambda: self.hot.stock.cancel(settings, user, "r-gone", now),
            lambda: self.hot.stock.expire_holds(settings, now, 1_000),
            lambda: self.hot.stock.stats(settings),
            lambda: self.hot.catalog.codes(self.event_id),
        ):
            try:
                self.run(call_on_the_removed_event())
            except EventNotFound:
                continue
            raise AssertionError("a removed event must stay removed")
        assert self.run(self.hot.catalog.get(self.event_id)) is None
        # Had any call above left state behind, the new sale would not match a fresh model.
        self.run(self.hot.catalog.add(self.settings, now))
        self.model = SaleModel(self.settings)
        self.delivered = []  # the removed sale's outbox (its changes) went with it
        self.admissions = []  # the new sale's admission bucket starts full
        self.rates = [(0, self.settings.admission_rate_per_second)]

    def _removed_by_the_rules(self) -> None:
        if self.sale.reservations:
            raise EventHasReservations("a reservation was made")

    def _pick(self, data: st.DataObject, owner: bool) -> tuple[str, str]:
        rid = data.draw(st.sampled_from(self.reservation_ids))
        real_owner = self.sale.reservations[rid].user_id
        user = real_owner if owner else data.draw(st.sampled_from(USER_POOL))
        return rid, user

    # -- invariants ---------------------------------------------------------------------

    @invariant()
    def seats_add_up(self) -> None:
        """Of the sale and of each seat category."""
        if self.model is None:
            return
        stats = self.run(self.hot.stock.stats(self.settings))
        assert stats.remaining >= 0, "oversold"
        total = stats.remaining + stats.pending_seats + stats.confirmed_seats
        assert total == self.settings.total_seats, f"{stats} does not add up"
        assert (stats.remaining, stats.pending_seats, stats.confirmed_seats) == (
            self.sale.remaining,
            self.sale.pending,
            self.sale.confirmed,
        )
        # Per seat category: remaining + pending + confirmed == its seats, as the rules say.
        categories = self.settings.categories or ()
        assert [c.category_id for c in stats.categories] == [c.category_id for c in categories]
        for counted, category in zip(stats.categories, categories, strict=True):
            assert counted.remaining >= 0, f"{category.category_id} oversold"
            in_all = counted.remaining + counted.pending_seats + counted.confirmed_seats
            assert in_all == category.seats, f"{counted} does not add up to {category.seats}"
            assert (counted.remaining, counted.pending_seats, counted.confirmed_seats) == (
                self.sale.category_remaining[category.category_id],
                self.sale.category_seats_in(category.category_id, ReservationStatus.PENDING),
                self.sale.category_seats_in(category.category_id, ReservationStatus.CONFIRMED),
            )

    @invariant()
    def every_code_counts_its_uses_within_its_limit(self) -> None:
        if self.model is None or self.settings.presale is None:
            return  # codes are issued to a presale only
        codes = self.run(self.hot.catalog.codes(self.event_id))
        assert codes == self.sale.code_uses()
        assert all(c.uses <= c.code.max_uses for c in codes), codes

    @invariant()
    def reservations_match_and_nobody_exceeds_the_limit(self) -> None:
        if self.model is None:
            return
        held: dict[str, int] = {}
        held_of: dict[tuple[str, str], int] = {}

        async def every_reservation() -> list[Reservation | None]:
            reads = (self.hot.stock.get(self.event_id, rid) for rid in self.reservation_ids)
            return await asyncio.gather(*reads)

        for rid, found in zip(self.reservation_ids, self.run(every_reservation()), strict=True):
            assert found == self.sale.reservations[rid]
            if found is not None and found.status.holds_seats:
                held[found.user_id] = held.get(found.user_id, 0) + found.quantity
                for item in found.items:
                    key = (found.user_id, item.category_id)
                    held_of[key] = held_of.get(key, 0) + item.quantity
        assert all(seats <= self.settings.max_per_user for seats in held.values()), held
        limits = {c.category_id: c.max_per_user for c in self.settings.categories or ()}
        assert all(seats <= limits[c] for (_, c), seats in held_of.items()), held_of

    @invariant()
    def every_place_and_position_is_exact(self) -> None:
        if self.model is None:
            return
        now = self.clock.now_ms()
        self.both_at_once(
            [
                (
                    self.hot.queue.status(self.settings, user, now),
                    lambda user=user: self.sale.view(user, now),  # type: ignore[misc]
                )
                for user in USER_POOL
            ]
        )
        snapshot = self.run(self.hot.queue.snapshot(self.settings, now))
        assert snapshot.head_seq == self.sale.head_seq()
        assert snapshot.gaps == self.sale.gaps()
        assert snapshot.waiting == len(self.sale.waiting)
        assert snapshot.active == self.sale.active(now)
        # Lowering the cap ends no admission: what holds is the largest cap there has been.
        assert snapshot.active <= self.largest_cap, "admission cap broken"
        assert snapshot.state is self.settings.state
        assert snapshot.abandoned == self.sale.abandoned
        assert snapshot.draw_pending == self.sale.draw_pending
        assert snapshot.sold_out == self.sale.sold_out
        for position, user in enumerate(self.sale.waiting, start=1):
            if not snapshot.sold_out:
                assert snapshot.position_of(self.sale.places[user].seq) == position

    @invariant()
    def admission_is_a_fifo_prefix_at_the_allowed_rate(self) -> None:
        if self.model is None:
            return
        seqs = [seq for _, _, seq in self.sale.admission_log]
        assert seqs == sorted(seqs), "admitted out of order"
        waiting_seqs = [self.sale.places[u].seq for u in self.sale.waiting]
        assert not seqs or not waiting_seqs or min(waiting_seqs) > max(seqs), "someone skipped"
        times = [at for at, _ in self.admissions]
        assert all(self.settings.admits_at(at) for at in times), "admitted out of the windows"
        for i, start in enumerate(times):
            for j in range(i, len(times)):
                window_s = (times[j] - start) / 1000
                rate = self._fastest_rate_between(start, times[j])
                assert j - i + 1 <= rate * (window_s + 1), "admission rate exceeded"

    def _fastest_rate_between(self, start: int, end: int) -> int:
        """The largest admission rate in force at any moment from ``start`` to ``end`` (at the
        moment of a change, both the old and the new rate)."""
        in_force = [
            rate
            for n, (since, rate) in enumerate(self.rates)
            if since <= end and (n + 1 == len(self.rates) or self.rates[n + 1][0] >= start)
        ]
        return max(in_force)

    @invariant()
    def every_change_is_recorded_once_in_the_outbox(self) -> None:
        if self.model is None:
            return
        entries = self.run(self.hot.outbox.claim(self.event_id, "harness", 10_000))
        self.run(self.hot.outbox.acknowledge(self.event_id, [e.entry_id for e in entries]))
        self.delivered.extend(e.message.message_id for e in entries)
        expected = {m.message_id: m for m in self.sale.emitted}
        assert sorted(self.delivered) == sorted(expected), "outbox lost or doubled a message"
        for entry in entries:
            assert entry.message == expected[entry.message.message_id], "a message says otherwise"

    @invariant()
    def sold_out_means_waiting_users_see_it(self) -> None:
        if self.model is None or not self.sale.sold_out:
            return
        now = self.clock.now_ms()

        async def every_waiting_view() -> list[QueueView]:
            reads = (self.hot.queue.status(self.settings, u, now) for u in self.sale.waiting)
            return await asyncio.gather(*reads)

        for view in self.run(every_waiting_view()):
            closed = self.settings.state is EventState.CLOSED
            assert view.status is (QueueStatus.CLOSED if closed else QueueStatus.SOLD_OUT)
            assert view.position == 0
