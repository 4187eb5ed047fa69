"""The campaign's checker reports each broken invariant from the record alone (a checker that
cannot fail proves nothing): a lost hold, a double sale, an out-of-order admission, a 500."""

from __future__ import annotations

from chaos.checker import Verdict, check
from chaos.history import History, Op, Row, Sale


def op(kind: str, user: str, at: float, status: int | None = 200, **fields: str) -> Op:
    return Op(kind, "show", user, started=at, ended=at + 0.5, status=status, **fields)


def sound() -> History:
    """Ann then Bob enter; Ann is admitted first and holds, then confirms; Bob holds."""
    return History(
        seed=1,
        ops=[
            op("enter", "ann", 0),
            op("enter", "bob", 1),
            op("status", "ann", 2, queue_status="ADMITTED"),
            op("status", "bob", 2, queue_status="WAITING"),
            op("reserve", "ann", 3, 202, reservation_id="r-ann"),
            op("confirm", "ann", 4, reservation_id="r-ann"),
            op("status", "bob", 5, queue_status="ADMITTED"),
            op("reserve", "bob", 6, 202, reservation_id="r-bob"),
        ],
        rows=[
            Row("r-ann", "show", "ann", 1, "CONFIRMED"),
            Row("r-bob", "show", "bob", 1, "PENDING"),
        ],
        sales=[Sale("show", 2, 1, remaining=0, pending=1, confirmed=1)],
    )


def broken(verdicts: list[Verdict]) -> dict[str, str]:
    return {v.invariant: v.detail for v in verdicts if not v.held}


def test_a_sound_record_holds_every_invariant() -> None:
    assert broken(check(sound())) == {}


def test_a_lost_hold_is_reported() -> None:
    history = sound()
    history.rows = [row for row in history.rows if row.reservation_id != "r-bob"]
    history.sales = [Sale("show", 2, 1, remaining=1, pending=0, confirmed=1)]

    assert "hold r-bob (PENDING) stored 0 times" in broken(check(history)).get(
        "every acknowledged hold persisted once", ""
    )


def test_a_confirm_acknowledged_but_stored_pending_is_reported() -> None:
    history = sound()
    history.rows[0] = Row("r-ann", "show", "ann", 1, "PENDING")

    assert "acknowledged CONFIRMED, stored PENDING" in broken(check(history)).get(
        "every acknowledged hold persisted once", ""
    )


def test_a_double_sale_is_reported() -> None:
    history = sound()
    history.ops.append(op("reserve", "cy", 7, 202, reservation_id="r-cy"))
    history.rows.append(Row("r-cy", "show", "cy", 1, "PENDING"))

    found = broken(check(history))

    assert "show: 3 seats held of 2" in found["no seat sold twice"]
    assert "Redis" in found["remaining + pending + confirmed == total (Redis, PostgreSQL)"]


def test_an_admission_out_of_order_is_reported() -> None:
    history = sound()
    history.ops[2] = op("status", "ann", 2, queue_status="WAITING")
    history.ops[3] = op("status", "bob", 2, queue_status="ADMITTED")
    history.ops.append(op("status", "ann", 3, queue_status="WAITING"))

    assert (
        "bob admitted while ann, ahead, still waited"
        in broken(check(history))["admissions in order of first entry"]
    )


def test_a_user_who_left_is_not_held_to_the_order() -> None:
    history = sound()
    history.ops[2] = op("status", "ann", 2, queue_status="WAITING")
    history.ops[3] = op("status", "bob", 2, queue_status="ADMITTED")
    history.ops.append(op("leave", "ann", 2.6))

    assert "admissions in order of first entry" not in broken(check(history))


def test_a_500_and_a_timeout_are_reported() -> None:
    history = sound()
    history.ops += [op("status", "cy", 8, 500), op("enter", "dan", 9, None, error="timeout")]

    found = broken(check(history))

    assert "no 500" in found
    assert "every request answered or refused in time" in found
