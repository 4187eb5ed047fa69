"""The worker stores batches side by side, yet commits offsets only in the order it read them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable, Sequence

import pytest
from confluent_kafka import Message

from adapters.kafka.codec import encode_value
from adapters.kafka.dead_letter import Rejection
from adapters.memory import MemoryReservationRepository
from entrypoints.batch_writer import BatchWriter, RetryPolicy
from entrypoints.worker import ReservationWorker
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus

pytestmark = pytest.mark.anyio
BATCH = 10


class Unavailable(Exception):
    """Stands for a lost database connection."""


class ScriptedSource:
    """Hands out the given batches once each, then nothing; records what was committed."""

    def __init__(self, batches: list[list[Message]]) -> None:
        self._batches = deque(batches)
        self.committed: list[list[int]] = []

    async def poll_batch(self, max_messages: int, wait_seconds: float) -> list[Message]:
        if self._batches:
            return self._batches.popleft()
        await asyncio.sleep(0.001)
        return []

    async def commit(self, records: Sequence[Message]) -> bool:
        self.committed.append([record.offset() or 0 for record in records])
        return True

    async def lag(self) -> dict[str, int]:
        return {}


class NoDeadLetters:
    async def send(self, rejections: Sequence[Rejection]) -> None:
        raise AssertionError(f"nothing here should be dead-lettered: {rejections}")


class GatedRepository(MemoryReservationRepository):
    """Writes of a batch wait until the test opens that batch's gate (gates are numbered in
    the order the batches first reached the database); a batch may instead be made to fail
    every time, as it would with the database gone."""

    def __init__(self) -> None:
        super().__init__()
        self.gates: dict[str, asyncio.Event] = {}
        self.failing: set[int] = set()

    def gate(self, batch: int) -> asyncio.Event:
        return list(self.gates.values())[batch]

    async def apply(self, messages: Sequence[ReservationMessage]) -> None:
        first = messages[0].key
        gate = self.gates.setdefault(first, asyncio.Event())
        await gate.wait()
        if list(self.gates).index(first) in self.failing:
            raise Unavailable("connection lost")
        await super().apply(messages)


def records(first_offset: int) -> list[Message]:
    return [
        Message(
            topic="reservations",
            partition=0,
            offset=offset,
            value=encode_value(
                ReservationMessage.of(
                    Reservation(
                        f"r-{offset}", "sale", f"u-{offset}", 1, ReservationStatus.PENDING, 0, 1, 0
                    )
                )
            ),
        )
        for offset in range(first_offset, first_offset + BATCH)
    ]


def offsets(first_offset: int) -> list[int]:
    return list(range(first_offset, first_offset + BATCH))


async def until(condition: Callable[[], bool]) -> None:
    """Polls: the condition is another task's progress, which no event announces."""
    for _ in range(5_000):
        if condition():
            return
        await asyncio.sleep(0.001)
    raise AssertionError("the worker did not get there within 5 s")


def worker(
    source: ScriptedSource, repository: GatedRepository, stopping: asyncio.Event
) -> ReservationWorker:
    writer = BatchWriter(
        repository,
        rejects_data=lambda error: False,
        stopping=stopping,
        policy=RetryPolicy(first_backoff_seconds=0.001, max_backoff_seconds=0.001),
    )
    return ReservationWorker(
        source, writer, NoDeadLetters(), stopping, batch_size=BATCH, writes_in_flight=2
    )


async def test_a_batch_stored_first_waits_for_the_batch_read_before_it() -> None:
    source = ScriptedSource([records(0), records(BATCH)])
    repository = GatedRepository()
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(source, repository, stopping).run())
    await until(lambda: len(repository.gates) == 2)  # both batches are being written at once

    repository.gate(1).set()
    await until(lambda: len(repository.reservations) == BATCH)
    await asyncio.sleep(0.01)
    assert source.committed == []

    repository.gate(0).set()
    await until(lambda: len(source.committed) == 2)
    assert source.committed == [offsets(0), offsets(BATCH)]
    assert len(repository.reservations) == 2 * BATCH
    stopping.set()
    await asyncio.wait_for(running, 5)


async def test_stopping_while_a_batch_cannot_be_stored_commits_nothing_read_after_it() -> None:
    source = ScriptedSource([records(0), records(BATCH)])
    repository = GatedRepository()
    repository.failing.add(0)
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(source, repository, stopping).run())
    await until(lambda: len(repository.gates) == 2)

    repository.gate(1).set()
    repository.gate(0).set()
    await until(lambda: len(repository.reservations) == BATCH)  # the second batch is stored
    stopping.set()
    await asyncio.wait_for(running, 5)

    assert source.committed == []  # both batches will be read again; the upsert absorbs it
    assert {r.user_id for r in repository.reservations.values()} == {
        f"u-{offset}" for offset in offsets(BATCH)
    }
