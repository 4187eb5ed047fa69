"""How the worker's writer tells refused messages from an unavailable database."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from ticketing_adapters.memory import MemoryReservationRepository
from ticketing_core.messages import Message, ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus
from ticketing_entrypoints.jobs.batch_writer import BatchWriter, Refusal, RetryPolicy, WriteAborted

pytestmark = pytest.mark.anyio
FAST = RetryPolicy(attempts_when_refused=3, first_backoff_seconds=0.001, max_backoff_seconds=0.01)


class Refused(Exception):
    """Stands for a constraint violation: the data is at fault."""


class Unavailable(Exception):
    """Stands for a lost connection: the database is at fault."""


class FlakyRepository(MemoryReservationRepository):
    """Refuses any batch holding a message of a ``poisoned`` user; is down ``outages`` times."""

    def __init__(self, outages: int = 0) -> None:
        super().__init__()
        self.outages = outages
        self.calls = 0

    async def apply(self, messages: Sequence[Message]) -> None:
        self.calls += 1
        if self.outages:
            self.outages -= 1
            raise Unavailable("connection refused")
        if any(
            isinstance(m, ReservationMessage) and m.reservation.user_id == "poisoned"
            for m in messages
        ):
            raise Refused("violates a constraint")
        await super().apply(messages)


def message(n: int, user: str = "user") -> ReservationMessage:
    return ReservationMessage.of(
        Reservation(f"r-{n:03}", "sale", user, 1, ReservationStatus.PENDING, 0, 600_000, 0)
    )


def writer(repository: FlakyRepository, stopping: asyncio.Event | None = None) -> BatchWriter:
    return BatchWriter(
        repository, lambda error: isinstance(error, Refused), stopping or asyncio.Event(), FAST
    )


async def test_a_refused_message_is_isolated_and_everything_else_is_stored() -> None:
    repository = FlakyRepository()
    batch = [message(n) for n in range(64)]
    batch[37] = message(37, user="poisoned")

    refusals = await writer(repository).write(batch)

    assert [refusal.message for refusal in refusals] == [batch[37]]
    assert isinstance(refusals[0], Refusal)
    assert isinstance(refusals[0].error, Refused)
    assert set(repository.reservations) == {m.key for m in batch} - {batch[37].key}
    assert repository.calls < 3 + 2 * 7, "bisection: a few writes, not one per message"


async def test_an_unavailable_database_is_waited_for_not_dead_lettered() -> None:
    repository = FlakyRepository(outages=5)
    batch = [message(n) for n in range(10)]
    batch_writer = writer(repository)

    assert await batch_writer.write(batch) == []

    assert set(repository.reservations) == {m.key for m in batch}
    assert batch_writer.unavailable_retries == 5


async def test_stopping_while_the_database_is_down_aborts_without_storing() -> None:
    repository = FlakyRepository(outages=1_000_000)
    stopping = asyncio.Event()
    batch_writer = writer(repository, stopping)
    asyncio.get_running_loop().call_later(0.05, stopping.set)

    with pytest.raises(WriteAborted):
        await batch_writer.write([message(1)])

    assert repository.reservations == {}
