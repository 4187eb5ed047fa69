"""The worker stores batches side by side, yet commits offsets only in the order it read them."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Sequence

import pytest

from tests.support.waiting import eventually
from ticketing_adapters.kafka.codec import encode_value
from ticketing_adapters.kafka.consumer import ConsumedRecord
from ticketing_adapters.kafka.dead_letter import Rejection
from ticketing_adapters.memory import MemoryReservationRepository
from ticketing_core.messages import Message, ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus
from ticketing_entrypoints.jobs.batch_writer import BatchWriter, RetryPolicy
from ticketing_entrypoints.jobs.worker import ReservationWorker

pytestmark = pytest.mark.anyio
BATCH = 10
WITHIN, STEP = 5.0, 0.001
"""How long and how often to poll the worker task's progress, which no event announces."""


class Unavailable(Exception):
    """Stands for a lost database connection."""


class ScriptedSource:
    """Hands out the given batches once each, then nothing; records what was committed and,
    at that moment, which offsets ``repository`` had stored (reservation ``r-N`` is offset N).
    """

    def __init__(self, batches: list[list[ConsumedRecord]], repository: GatedRepository) -> None:
        self._batches = deque(batches)
        self._repository = repository
        self.committed: list[list[int]] = []
        self.stored_when_committed: list[set[int]] = []

    async def poll_batch(self, max_messages: int, wait_seconds: float) -> list[ConsumedRecord]:
        if self._batches:
            return self._batches.popleft()
        await asyncio.sleep(0.001)
        return []

    async def commit(self, records: Sequence[ConsumedRecord]) -> bool:
        self.committed.append([record.offset for record in records])
        self.stored_when_committed.append(
            {int(id_.removeprefix("r-")) for id_ in self._repository.reservations}
        )
        return True

    def assert_nothing_committed_before_it_was_stored(self) -> None:
        """A committed offset tells Kafka that it and every offset before it are done: at each
        commit, all of them were in the database (a crash then loses nothing)."""
        for committed, stored in zip(self.committed, self.stored_when_committed, strict=True):
            missing = set(range(max(committed) + 1)) - stored
            assert not missing, f"committed up to {max(committed)} with {sorted(missing)} unstored"

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

    async def apply(self, messages: Sequence[Message]) -> None:
        first = messages[0].key
        gate = self.gates.setdefault(first, asyncio.Event())
        await gate.wait()
        if list(self.gates).index(first) in self.failing:
            raise Unavailable("connection lost")
        await super().apply(messages)


def records(first_offset: int) -> list[ConsumedRecord]:
    return [
        ConsumedRecord(
            topic="reservations",
            partition=0,
            offset=offset,
            key=f"r-{offset}".encode(),
            headers=[],
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
    repository = GatedRepository()
    source = ScriptedSource([records(0), records(BATCH)], repository)
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(source, repository, stopping).run())
    await eventually(
        lambda: len(repository.gates) == 2,
        within=WITHIN,
        every=STEP,
        what="both batches being written at once",
    )

    repository.gate(1).set()
    await eventually(
        lambda: len(repository.reservations) == BATCH,
        within=WITHIN,
        every=STEP,
        what="the second batch stored",
    )
    repository.gate(0).set()
    await eventually(
        lambda: len(source.committed) == 2, within=WITHIN, every=STEP, what="both batches committed"
    )
    stopping.set()
    await asyncio.wait_for(running, 5)

    # Whatever the timing: the commits follow the order read, and the second batch's came only
    # once the first batch (stored last) was in the database too.
    assert source.committed == [offsets(0), offsets(BATCH)]
    source.assert_nothing_committed_before_it_was_stored()
    assert len(repository.reservations) == 2 * BATCH


async def test_stopping_while_a_batch_cannot_be_stored_commits_nothing_read_after_it() -> None:
    repository = GatedRepository()
    source = ScriptedSource([records(0), records(BATCH)], repository)
    repository.failing.add(0)
    stopping = asyncio.Event()
    running = asyncio.create_task(worker(source, repository, stopping).run())
    await eventually(
        lambda: len(repository.gates) == 2,
        within=WITHIN,
        every=STEP,
        what="both batches being written at once",
    )

    repository.gate(1).set()
    repository.gate(0).set()
    await eventually(
        lambda: len(repository.reservations) == BATCH,
        within=WITHIN,
        every=STEP,
        what="the second batch stored",
    )
    stopping.set()
    await asyncio.wait_for(running, 5)

    assert source.committed == []  # both batches will be read again; the upsert absorbs it
    assert {r.user_id for r in repository.reservations.values()} == {
        f"u-{offset}" for offset in offsets(BATCH)
    }
