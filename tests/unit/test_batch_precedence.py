"""The status precedence rule (``ReservationStatus.supersedes``), and every place that applies
it: the batch collapse, the memory record and the upsert's condition (which PostgreSQL checks
in ``tests/integration/test_postgres_repository.py``)."""

from __future__ import annotations

import itertools

import pytest

from ticketing_adapters.memory.repository import MemoryReservationRepository
from ticketing_adapters.postgres.precedence import MOVES, collapse
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus

PENDING, CONFIRMED, CANCELLED, EXPIRED = (
    ReservationStatus.PENDING,
    ReservationStatus.CONFIRMED,
    ReservationStatus.CANCELLED,
    ReservationStatus.EXPIRED,
)
PAIRS = list(itertools.product(ReservationStatus, repeat=2))
"""Every (known, incoming) pair of statuses."""


def message(reservation_id: str, status: ReservationStatus, at: int = 2_000) -> ReservationMessage:
    return ReservationMessage.of(
        Reservation(reservation_id, "sale", "user", 1, status, 1_000, 601_000, at)
    )


def test_a_status_never_moves_backwards() -> None:
    moves = {(known, incoming) for known, incoming in PAIRS if incoming.supersedes(known)}

    assert moves == {(PENDING, CONFIRMED), (PENDING, CANCELLED), (PENDING, EXPIRED)}
    assert {s for s in ReservationStatus if s.is_terminal} == {CONFIRMED, CANCELLED, EXPIRED}


def test_the_upsert_condition_is_the_rules_table_of_moves() -> None:
    assert set(MOVES) == {(k, i) for k, i in PAIRS if i.supersedes(k)}


@pytest.mark.parametrize(("known", "incoming"), PAIRS)
def test_the_collapse_keeps_what_the_rule_keeps(
    known: ReservationStatus, incoming: ReservationStatus
) -> None:
    first, then = message("r", known, at=2_000), message("r", incoming, at=3_000)

    assert collapse([first, then]) == [then if incoming.supersedes(known) else first]


@pytest.mark.parametrize(("known", "incoming"), PAIRS)
@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
@pytest.mark.anyio
async def test_the_memory_record_keeps_what_the_rule_keeps(
    known: ReservationStatus, incoming: ReservationStatus, together: bool
) -> None:
    repository = MemoryReservationRepository()
    first, then = message("r", known, at=2_000), message("r", incoming, at=3_000)

    if together:
        await repository.apply([first, then])
    else:
        await repository.apply([first])
        await repository.apply([then])

    expected = then if incoming.supersedes(known) else first
    assert await repository.get("r") == expected.reservation


def test_a_terminal_status_beats_pending_whatever_the_order() -> None:
    for batch in (
        [message("r", PENDING), message("r", CONFIRMED)],
        [message("r", CONFIRMED), message("r", PENDING)],
    ):
        assert collapse(batch) == [message("r", CONFIRMED)]


def test_the_first_terminal_status_stays() -> None:
    batch = [message("r", PENDING), message("r", CANCELLED), message("r", CONFIRMED)]

    assert collapse(batch) == [message("r", CANCELLED)]


def test_repeats_collapse_and_reservations_come_out_sorted_by_id() -> None:
    batch = [message("b", PENDING), message("a", PENDING), message("b", PENDING)]

    assert collapse(batch) == [message("a", PENDING), message("b", PENDING)]
