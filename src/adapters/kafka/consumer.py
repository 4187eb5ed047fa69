"""A consumer-group member that reads in batches and commits a batch's offsets on request.

confluent-kafka's consumer blocks in ``consume`` and ``commit`` and is not meant to be used
from several threads, so the client lives on one dedicated thread and the event loop awaits
it there. Offsets are never committed automatically: the caller commits a batch only after
it is safely stored, so a crash re-delivers what was not stored (at least once).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TypeVar

from confluent_kafka import Consumer, KafkaException, Message, TopicPartition

from ticketing_adapters.kafka.codec import Headers
from ticketing_adapters.kafka.config import KafkaConfig

log = logging.getLogger(__name__)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class ConsumedRecord:
    """One record read from a topic, copied out of the client's ``Message`` so that the
    worker's ports name no confluent-kafka type (and tests build records without a broker)."""

    topic: str
    partition: int
    offset: int
    key: bytes | None
    value: bytes | None
    headers: Headers


class ConsumerFailed(Exception):
    """The consumer hit an error it cannot recover from (a fatal client error)."""


def consumer_settings(
    config: KafkaConfig, group_id: str, *, session_timeout_ms: int = 10_000
) -> dict[str, Any]:
    return {
        "bootstrap.servers": config.bootstrap_servers,
        "client.id": config.client_id,
        "group.id": group_id,
        "enable.auto.commit": False,
        # A new group starts from the oldest message: nothing published before the first
        # worker ever ran may be skipped.
        "auto.offset.reset": "earliest",
        # A worker that died (SIGKILL) holds its partitions until its session times out;
        # 10 s hands them to the others quickly without flapping on GC pauses.
        "session.timeout.ms": session_timeout_ms,
        "heartbeat.interval.ms": max(1_000, session_timeout_ms // 3),
    }


class BatchConsumer:
    def __init__(self, settings: dict[str, Any], topics: Sequence[str]) -> None:
        self._settings = settings
        self._topics = list(topics)
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kafka-consumer")
        self._consumer: Consumer | None = None

    async def start(self) -> None:
        def create() -> Consumer:
            consumer = Consumer(self._settings)
            consumer.subscribe(self._topics, on_assign=_log_assigned, on_revoke=_log_revoked)
            return consumer

        self._consumer = await self._run(create)

    async def poll_batch(self, max_messages: int, wait_seconds: float) -> list[ConsumedRecord]:
        """Up to ``max_messages`` records, waiting at most ``wait_seconds`` for the first.
        Raises ``ConsumerFailed`` on a fatal client error; other errors are logged."""
        consumer = self._started()
        polled = await self._run(_first_then_ready, consumer, max_messages, wait_seconds)
        records = []
        for message in polled:
            error = message.error()
            if error is None:
                records.append(_consumed(message))
            elif error.fatal():
                raise ConsumerFailed(str(error))
            else:
                log.warning("Kafka consumer: %s", error)
        return records

    async def commit(self, records: Sequence[ConsumedRecord]) -> bool:
        """Commits, synchronously, the offsets after ``records``; False if the group took the
        partitions away meanwhile (another member will re-read those records)."""
        consumer = self._started()
        offsets = _next_offsets(records)
        if not offsets:
            return True
        try:
            await self._run(lambda: consumer.commit(offsets=offsets, asynchronous=False))
        except KafkaException as error:
            log.warning("offsets not committed (%s); the records will be read again", error)
            return False
        return True

    async def lag(self) -> dict[str, int]:
        """Per topic, how many records of the assigned partitions lie beyond this member's
        position (the high watermark minus the next offset to read), from what the client
        already knows: no request to the brokers. Partitions not fetched yet are left out."""
        return await self._run(_lag_of, self._started())

    async def close(self) -> None:
        """Leaves the group (its partitions move to the other members at once)."""
        if self._consumer is not None:
            await self._run(self._consumer.close)
            self._consumer = None
        self._thread.shutdown(wait=True)

    def _started(self) -> Consumer:
        if self._consumer is None:
            raise RuntimeError("the consumer is not started (or already closed)")
        return self._consumer

    async def _run(self, call: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self._thread, call, *args)


def _consumed(message: Message) -> ConsumedRecord:
    topic, partition, offset = message.topic(), message.partition(), message.offset()
    if topic is None or partition is None or offset is None:
        # Only error events lack a position, and poll_batch keeps none of those.
        raise ConsumerFailed("the client returned a record without a position")
    headers = message.headers() or []
    return ConsumedRecord(
        topic=topic,
        partition=partition,
        offset=offset,
        key=message.key(),
        value=message.value(),
        headers=list(headers.items() if isinstance(headers, dict) else headers),
    )


def _next_offsets(records: Sequence[ConsumedRecord]) -> list[TopicPartition]:
    """Per partition, the offset after the last record: what the group resumes from."""
    last: dict[tuple[str, int], int] = {}
    for record in records:
        key = (record.topic, record.partition)
        last[key] = max(record.offset, last.get(key, -1))
    return [
        TopicPartition(topic, partition, offset + 1) for (topic, partition), offset in last.items()
    ]


def _first_then_ready(consumer: Consumer, max_messages: int, wait_seconds: float) -> list[Message]:
    """Waits for one record, then takes what the client has already fetched. ``consume(n, t)``
    alone waits for all n records or the whole t: under a light stream every record then
    waited out the timeout (half a second of the reserve -> row lag)."""
    first = consumer.poll(wait_seconds)
    if first is None:
        return []
    return [first, *consumer.consume(max_messages - 1, 0)] if max_messages > 1 else [first]


def _lag_of(consumer: Consumer) -> dict[str, int]:
    behind: dict[str, int] = {}
    for position in consumer.position(consumer.assignment()):
        if position.offset < 0:
            continue  # no position yet: nothing fetched from this partition
        watermarks = consumer.get_watermark_offsets(position, cached=True)
        if watermarks is None or watermarks[1] < 0:
            continue
        topic = position.topic
        behind[topic] = behind.get(topic, 0) + max(0, watermarks[1] - position.offset)
    return behind


def _log_assigned(_: Consumer, partitions: list[TopicPartition]) -> None:
    log.info("assigned %s", [f"{p.topic}[{p.partition}]" for p in partitions])


def _log_revoked(_: Consumer, partitions: list[TopicPartition]) -> None:
    log.info("revoked %s", [f"{p.topic}[{p.partition}]" for p in partitions])
