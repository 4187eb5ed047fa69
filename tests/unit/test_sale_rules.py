"""The rules of SPEC §4, one readable example each (the harness covers the combinations)."""

from __future__ import annotations

import pytest

from ticketing_core import (
    HoldExpired,
    InsufficientSeats,
    InvalidState,
    LimitExceeded,
    NotAdmitted,
    NotInQueue,
    QueueStatus,
    ReservationStatus,
    SoldOut,
)
from ticketing_core.clock import to_datetime
from ticketing_core.messages import Message
from ticketing_core.sale import SaleState
from ticketing_core.settings import EventSettings

T0 = 1_800_000_000_000


def sale(**overrides: int) -> tuple[SaleState, list[Message]]:
    fields = {
        "total_seats": 10,
        "max_per_user": 2,
        "admission_rate_per_second": 100,
        "max_active_users": 100,
        "admission_ttl_seconds": 60,
        "hold_ttl_seconds": 30,
    } | overrides
    settings = EventSettings(event_id="e", name="E", opens_at=to_datetime(T0), **fields)
    sent: list[Message] = []
    return SaleState(settings, sent.append), sent


def admitted(made: tuple[SaleState, list[Message]], *users: str) -> tuple[SaleState, list[Message]]:
    state, _ = made
    for user in users:
        state.enter(user, T0)
    state.admit(T0)
    return made


def test_position_is_one_plus_the_waiting_users_ahead_and_leaving_moves_the_rest_up() -> None:
    state, _ = sale()
    for user in "abcd":
        state.enter(user, T0 - 1)
    assert [state.status(u, T0 - 1).position for u in "abcd"] == [1, 2, 3, 4]
    state.leave("b", T0 - 1)
    assert [state.status(u, T0 - 1).position for u in "acd"] == [1, 2, 3]
    assert state.snapshot(T0 - 1).position_of(state.status("d", T0 - 1).seq) == 3


def test_entering_again_keeps_the_place_and_after_leaving_starts_at_the_back() -> None:
    state, _ = sale()
    first = state.enter("a", T0 - 1)
    state.enter("b", T0 - 1)
    assert state.enter("a", T0 - 1) == first
    state.leave("a", T0 - 1)
    assert state.enter("a", T0 - 1).position == 2


def test_nobody_is_admitted_before_the_sale_opens() -> None:
    state, _ = sale()
    state.enter("a", T0 - 5_000)
    assert state.admit(T0 - 1).admitted == ()
    assert state.admit(T0).admitted == ("a",)


def test_admission_holds_the_cap_and_the_rate() -> None:
    state, _ = sale(admission_rate_per_second=2, max_active_users=3)
    for n in range(6):
        state.enter(f"u{n}", T0)
    assert state.admit(T0).admitted == ("u0", "u1")
    assert state.admit(T0 + 400).admitted == ()
    assert state.admit(T0 + 500).admitted == ("u2",)
    assert state.admit(T0 + 10_000).admitted == (), "the cap of 3 is full"
    report = state.admit(T0 + 61_000)
    assert (report.expired_admissions, report.admitted) == (3, ("u3", "u4"))
    assert state.status("u0", T0 + 61_000).status is QueueStatus.EXPIRED


def test_a_reservation_is_all_or_nothing_within_the_limit_for_admitted_users_only() -> None:
    state, _ = admitted(sale(total_seats=3, max_per_user=2), "a", "b")
    state.enter("late", T0)
    with pytest.raises(NotAdmitted):
        state.reserve("late", 1, "r0", None, T0)
    with pytest.raises(LimitExceeded):
        state.reserve("a", 3, "r1", None, T0)
    state.reserve("a", 2, "r1", None, T0)
    with pytest.raises(InsufficientSeats):
        state.reserve("b", 2, "r2", None, T0)
    state.reserve("b", 1, "r2", None, T0)
    with pytest.raises(SoldOut):
        state.reserve("b", 1, "r3", None, T0)
    assert (state.remaining, state.pending_seats) == (0, 3)


def test_reaching_the_limit_completes_the_admission_and_frees_the_slot() -> None:
    state, _ = admitted(sale(max_per_user=2, max_active_users=1), "a")
    state.reserve("a", 2, "r1", None, T0)
    assert state.status("a", T0).status is QueueStatus.COMPLETED
    with pytest.raises(LimitExceeded):
        state.reserve("a", 1, "r2", None, T0)
    state.cancel("a", "r1", T0)
    with pytest.raises(NotAdmitted):
        state.reserve("a", 1, "r3", None, T0)
    assert state.snapshot(T0).active == 0


def test_the_same_idempotency_key_answers_the_same_reservation_for_a_day() -> None:
    state, sent = admitted(sale(), "a")
    first = state.reserve("a", 1, "r1", "key", T0)
    assert state.reserve("a", 1, "r2", "key", T0 + 1_000) == first
    assert len(sent) == 1
    state.admit(T0)
    with pytest.raises(NotAdmitted):
        state.reserve("a", 1, "r3", "key", T0 + 86_400_000)


def test_holds_confirm_cancel_and_expire_with_seats_returning() -> None:
    state, sent = admitted(sale(max_per_user=2, hold_ttl_seconds=30), "a", "b")
    state.reserve("a", 1, "keep", None, T0)
    state.reserve("a", 1, "drop", None, T0)
    state.reserve("b", 1, "lapse", None, T0)
    assert state.confirm("a", "keep", T0 + 1).status is ReservationStatus.CONFIRMED
    assert state.cancel("a", "drop", T0 + 1).status is ReservationStatus.CANCELLED
    with pytest.raises(InvalidState):
        state.cancel("a", "keep", T0 + 2)
    with pytest.raises(HoldExpired):
        state.confirm("b", "lapse", T0 + 30_000)
    assert (state.remaining, state.pending_seats, state.confirmed_seats) == (9, 0, 1)
    assert [m.type.value for m in sent] == [
        "reservation.created",
        "reservation.created",
        "reservation.created",
        "reservation.confirmed",
        "reservation.cancelled",
        "reservation.expired",
    ]


def test_the_event_is_sold_out_only_when_no_hold_can_come_back() -> None:
    state, _ = admitted(sale(total_seats=1, max_per_user=1), "a")
    state.enter("w", T0)
    state.reserve("a", 1, "r1", None, T0)
    assert state.status("w", T0).status is QueueStatus.WAITING
    state.confirm("a", "r1", T0)
    assert state.status("w", T0).status is QueueStatus.SOLD_OUT
    with pytest.raises(SoldOut):
        state.enter("new", T0)


def test_a_user_who_left_has_no_place() -> None:
    state, _ = sale()
    state.enter("a", T0)
    assert state.leave("a", T0)
    with pytest.raises(NotInQueue):
        state.status("a", T0)
    assert not state.leave("a", T0)
