"""The PostgreSQL record: idempotent, never backwards, one row per reservation."""

from __future__ import annotations

import itertools

import psycopg
import pytest

from tests.support.records import HOLD_MS, T0, created, event_settings, moved
from ticketing_adapters.postgres import PostgresReservationRepository, rejects_data
from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.errors import EventHasReservations
from ticketing_core.messages import EventChangeMessage
from ticketing_core.model import ReservationStatus
from ticketing_core.settings import EventSettings

pytestmark = pytest.mark.anyio

CONFIRMED = ReservationStatus.CONFIRMED
CANCELLED = ReservationStatus.CANCELLED
EXPIRED = ReservationStatus.EXPIRED
PENDING = ReservationStatus.PENDING


@pytest.fixture
async def repo(repository: PostgresReservationRepository) -> PostgresReservationRepository:
    await repository.save_event(event_settings())
    return repository


async def row_count(repository: PostgresReservationRepository) -> int:
    return len(await repository.reservations_of("sale-1"))


async def test_save_event_is_idempotent_and_keeps_the_first_settings(
    repository: PostgresReservationRepository,
) -> None:
    first = event_settings(total_seats=10)
    await repository.save_event(first)
    await repository.save_event(first)
    await repository.save_event(event_settings(total_seats=99))

    assert await repository.event("sale-1") == first
    assert await repository.event("unknown") is None


async def test_an_event_without_reservations_is_deleted_once(
    repo: PostgresReservationRepository,
) -> None:
    assert await repo.delete_event("sale-1") is True

    assert await repo.event("sale-1") is None
    assert await repo.delete_event("sale-1") is False, "a retry finds nothing to delete"
    assert await repo.delete_event("unknown") is False
    await repo.save_event(event_settings(total_seats=7))
    assert await repo.event("sale-1") == event_settings(total_seats=7), "a new event, anew"


@pytest.mark.parametrize("status", [PENDING, CONFIRMED, CANCELLED, EXPIRED])
async def test_an_event_with_a_reservation_row_is_not_deleted(
    repo: PostgresReservationRepository, status: ReservationStatus
) -> None:
    pending = created()
    await repo.apply([pending] if status is PENDING else [moved(pending, status)])

    with pytest.raises(EventHasReservations):
        await repo.delete_event("sale-1")

    assert await repo.event("sale-1") == event_settings()
    assert await row_count(repo) == 1


async def test_a_reservation_reads_back_exactly_as_its_message_wrote_it(
    repo: PostgresReservationRepository,
) -> None:
    message = created()

    await repo.apply([message])

    assert await repo.get(message.key) == message.reservation
    stored = await repo.get(message.key)
    assert stored is not None
    assert (stored.created_at, stored.expires_at) == (T0, T0 + HOLD_MS)
    assert await repo.get("no-such-reservation") is None


async def test_the_same_message_twice_leaves_one_row(repo: PostgresReservationRepository) -> None:
    message = created()

    await repo.apply([message])
    await repo.apply([message])
    await repo.apply([message, message])

    assert await repo.reservations_of("sale-1") == [message.reservation]


async def test_a_late_pending_never_undoes_a_confirmation(
    repo: PostgresReservationRepository,
) -> None:
    pending = created()
    confirmed = moved(pending, CONFIRMED)

    await repo.apply([confirmed])
    await repo.apply([pending])

    assert await repo.get(pending.key) == confirmed.reservation


async def test_pending_moves_to_a_terminal_status_and_a_terminal_status_never_changes(
    repo: PostgresReservationRepository,
) -> None:
    pending = created()

    await repo.apply([pending])
    await repo.apply([moved(pending, CANCELLED)])
    await repo.apply([moved(pending, EXPIRED, after_ms=HOLD_MS)])
    await repo.apply([moved(pending, CONFIRMED)])

    assert await repo.get(pending.key) == moved(pending, CANCELLED).reservation


@pytest.mark.parametrize(
    ("known", "incoming"), list(itertools.product(ReservationStatus, repeat=2))
)
@pytest.mark.parametrize("together", [False, True], ids=["two batches", "one batch"])
async def test_the_upsert_keeps_what_the_cores_precedence_rule_keeps(
    repo: PostgresReservationRepository,
    known: ReservationStatus,
    incoming: ReservationStatus,
    together: bool,
) -> None:
    """Every pair of statuses through the SQL's condition against ``supersedes``."""
    pending = created()
    first = pending if known is PENDING else moved(pending, known, after_ms=1_000)
    then = pending if incoming is PENDING else moved(pending, incoming, after_ms=2_000)

    if together:
        await repo.apply([first, then])
    else:
        await repo.apply([first])
        await repo.apply([then])

    expected = then if incoming.supersedes(known) else first
    assert await repo.get(pending.key) == expected.reservation


async def test_a_batch_holding_several_changes_of_one_reservation_keeps_the_winner(
    repo: PostgresReservationRepository,
) -> None:
    first, second, third = created(user="a"), created(user="b"), created(user="c")
    batch = [
        first,
        moved(first, CONFIRMED),
        first,  # delivered again, late
        moved(second, EXPIRED, after_ms=HOLD_MS),
        second,
        moved(second, CANCELLED),  # loses: the first terminal status seen stays
        third,
    ]

    await repo.apply(batch)

    assert {r.reservation_id: r.status for r in await repo.reservations_of("sale-1")} == {
        first.key: CONFIRMED,
        second.key: EXPIRED,
        third.key: PENDING,
    }


async def test_seats_by_status_sums_quantities(repo: PostgresReservationRepository) -> None:
    held, sold, gone = created(quantity=3), created(quantity=2), created(quantity=4)

    await repo.apply([held, moved(sold, CONFIRMED), moved(gone, CANCELLED)])

    assert await repo.seats_by_status("sale-1") == {
        PENDING: 3,
        CONFIRMED: 2,
        CANCELLED: 4,
        EXPIRED: 0,
    }


async def test_a_reservation_of_an_unknown_event_is_refused_as_bad_data(
    repo: PostgresReservationRepository,
) -> None:
    good, orphan = created(), created(event_id="never-created")

    with pytest.raises(psycopg.IntegrityError) as refused:
        await repo.apply([good, orphan])

    assert rejects_data(refused.value)
    assert await row_count(repo) == 0, "the batch is one transaction: nothing of it is stored"


def operator_change(settings: EventSettings, change: SaleChange, at: int) -> EventChangeMessage:
    """``change`` applied to ``settings`` as the stores apply it, and its message."""
    after = change.applied_to(settings, remaining=settings.total_seats)
    return EventChangeMessage.of(change.kind, change.detail, "Ada (key 0f0f0f0f)", at, after)


async def test_each_operator_change_is_recorded_once_and_the_event_follows_the_newest(
    repo: PostgresReservationRepository,
) -> None:
    created_as = event_settings()
    paused = operator_change(created_as, SaleChange.of_state(ChangeKind.PAUSE), T0 + 1)
    faster = operator_change(
        paused.settings, SaleChange.of_settings({"admission_rate_per_second": 7}), T0 + 2
    )
    more = operator_change(faster.settings, SaleChange.of_seats(5), T0 + 3)

    # Out of order, twice, and split over batches: what at-least-once delivery may bring.
    await repo.apply([more, created()])
    await repo.apply([paused, faster, more])
    await repo.apply([paused])

    assert await repo.changes_of("sale-1") == [paused, faster, more]
    assert await repo.event("sale-1") == more.settings, "the newest version, not the last seen"
    assert more.settings.total_seats == created_as.total_seats + 5
    assert await row_count(repo) == 1, "the reservation of the same batch is stored too"
    assert await repo.changes_of("unknown") == []


async def test_an_event_deleted_takes_its_changes_with_it(
    repo: PostgresReservationRepository,
) -> None:
    paused = operator_change(event_settings(), SaleChange.of_state(ChangeKind.PAUSE), T0)
    await repo.apply([paused])

    assert await repo.delete_event("sale-1") is True
    await repo.save_event(event_settings())
    assert await repo.changes_of("sale-1") == [], "an id created again starts a new record"
