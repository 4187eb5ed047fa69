"""The consumer worker (``ticketing worker``): the reservation stream into PostgreSQL.

Each round reads a batch, decodes it, stores it in one transaction, dead-letters what cannot
be stored, and only then commits the batch's offsets. A crash anywhere before the commit
re-delivers the batch, which the idempotent upsert absorbs; nothing is committed that is not
either in the database or in the dead-letter topic. Any number of workers may share the
consumer group: Kafka spreads the partitions over them.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Protocol

from ticketing_adapters.kafka import (
    ConsumedRecord,
    DeliveryFailed,
    KafkaConfig,
    Rejection,
    RejectionReason,
    TopicsUnavailable,
    ensure_topics,
)
from ticketing_adapters.kafka.codec import decode_value
from ticketing_core.messages import Message
from ticketing_entrypoints.jobs.batch_writer import BatchWriter, WriteAborted
from ticketing_entrypoints.jobs.stopping import pause

log = logging.getLogger(__name__)
POLL_WAIT_SECONDS = 0.5
"""How long one poll waits for records: also how quickly an idle worker notices a SIGTERM."""
DEAD_LETTER_RETRY_SECONDS = 1.0
"""Also how long a worker waits between attempts to reach Kafka at start."""
TOPICS_TIMEOUT_SECONDS = 5.0
LAG_INTERVAL_SECONDS = 1.0


@dataclass
class WorkerCounters:
    batches: int = 0
    records: int = 0
    stored: int = 0
    dead_lettered: int = 0
    commits_lost: int = 0
    """Batches stored whose offsets the group refused (a rebalance): they will be re-read."""
    lag: dict[str, int] = field(default_factory=dict)
    """Per topic, records not read yet by this worker (refreshed every LAG_INTERVAL_SECONDS)."""


class RecordSource(Protocol):
    """The worker's side of a consumer-group member (``BatchConsumer``)."""

    async def poll_batch(self, max_messages: int, wait_seconds: float) -> list[ConsumedRecord]: ...

    async def commit(self, records: Sequence[ConsumedRecord]) -> bool: ...

    async def lag(self) -> dict[str, int]: ...


class DeadLetters(Protocol):
    """Where records that cannot be stored go (``DeadLetterQueue``)."""

    async def send(self, rejections: Sequence[Rejection]) -> None: ...


@dataclass(frozen=True, slots=True)
class _Stored:
    stored: int
    dead_lettered: int


@dataclass(frozen=True, slots=True)
class _Batch:
    records: Sequence[ConsumedRecord]
    stored: asyncio.Task[_Stored]


class ReservationWorker:
    def __init__(
        self,
        consumer: RecordSource,
        writer: BatchWriter,
        dead_letters: DeadLetters,
        stopping: asyncio.Event,
        batch_size: int,
        writes_in_flight: int = 1,
        counters: WorkerCounters | None = None,
    ) -> None:
        self._consumer = consumer
        self._writer = writer
        self._dead_letters = dead_letters
        self._stopping = stopping
        self._batch_size = batch_size
        self._writes_in_flight = writes_in_flight
        self.counters = counters or WorkerCounters()

    async def run(self) -> None:
        """Processes batches until ``stopping`` is set; the batches in hand are finished first.

        Up to ``writes_in_flight`` batches are stored at once, on their own connections, so
        PostgreSQL works on one while this process reads and decodes the next. Offsets are
        still committed batch by batch in the order read, each once it and every batch before
        it are stored. Batches may overlap on a reservation (its hold in one, its confirmation
        in the next): the upsert's precedence rule makes the row the same in either order, and
        each batch locks its rows in reservation-id order, so two batches cannot deadlock.
        """
        in_flight: deque[_Batch] = deque()
        lag_read_at = float("-inf")
        try:
            while not self._stopping.is_set():
                records = await self._consumer.poll_batch(self._batch_size, POLL_WAIT_SECONDS)
                if time.monotonic() - lag_read_at >= LAG_INTERVAL_SECONDS:
                    self.counters.lag = await self._consumer.lag()
                    lag_read_at = time.monotonic()
                if records:
                    in_flight.append(_Batch(records, asyncio.create_task(self._store(records))))
                while in_flight and (
                    not records
                    or in_flight[0].stored.done()
                    or len(in_flight) >= self._writes_in_flight
                ):
                    await self._commit(in_flight.popleft())
            while in_flight:
                await self._commit(in_flight.popleft())
        except WriteAborted:
            log.warning("stopped with a batch not stored; it will be read again")
        finally:
            for batch in in_flight:
                batch.stored.cancel()
            await asyncio.gather(*(batch.stored for batch in in_flight), return_exceptions=True)

    async def _store(self, records: Sequence[ConsumedRecord]) -> _Stored:
        """Stores or dead-letters every record of a batch."""
        sources: dict[Message, list[ConsumedRecord]] = {}
        rejections = []
        for record in records:
            try:
                message = decode_value(record.value)
            except ValueError as error:
                rejections.append(Rejection(record, RejectionReason.UNDECODABLE, error))
                continue
            # A message delivered twice decodes to an equal value: stored once, both committed.
            sources.setdefault(message, []).append(record)
        refusals = await self._writer.write(list(sources))
        for refusal in refusals:
            rejections += [
                Rejection(record, RejectionReason.WRITE_FAILED, refusal.error)
                for record in sources[refusal.message]
            ]
        if rejections:
            await self._dead_letter(rejections)
        return _Stored(stored=len(sources) - len(refusals), dead_lettered=len(rejections))

    async def _commit(self, batch: _Batch) -> None:
        """Waits for the batch to be stored, then commits its offsets."""
        stored = await batch.stored
        if not await self._consumer.commit(batch.records):
            self.counters.commits_lost += 1
        self.counters.batches += 1
        self.counters.records += len(batch.records)
        self.counters.stored += stored.stored
        self.counters.dead_lettered += stored.dead_lettered

    async def _dead_letter(self, rejections: list[Rejection]) -> None:
        for rejection in rejections:
            record = rejection.record
            log.warning(
                "dead-lettering %s[%s]@%s (%s): %s",
                record.topic,
                record.partition,
                record.offset,
                rejection.reason.value,
                rejection.error,
            )
        # Committing past a record that reached neither the database nor the dead-letter
        # topic would lose it: keep trying (Kafka is down) unless told to stop.
        while True:
            try:
                await self._dead_letters.send(rejections)
                return
            except DeliveryFailed as error:
                if self._stopping.is_set():
                    raise WriteAborted(
                        "stopping while the dead-letter topic is unreachable"
                    ) from error
                log.error("dead letters not delivered, retrying: %s", error)
                await pause(self._stopping, DEAD_LETTER_RETRY_SECONDS)


async def topics_created(kafka: KafkaConfig, stopping: asyncio.Event) -> bool:
    """Creates the topics if missing, waiting for a broker for as long as it takes; False if
    told to stop first."""
    while not stopping.is_set():
        try:
            await ensure_topics(kafka, TOPICS_TIMEOUT_SECONDS)
            return True
        except TopicsUnavailable as error:
            log.warning("waiting for Kafka to create the topics: %s", error)
            await pause(stopping, DEAD_LETTER_RETRY_SECONDS)
    return False
