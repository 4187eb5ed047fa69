"""The dead-letter topic: records the worker could not store, kept with the reason why.

A dead letter keeps the original key, value and headers untouched (so it can be replayed onto
the stream once the cause is fixed) and adds ``dlq.*`` headers naming its source position, the
reason and the error.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from ticketing_adapters.kafka.codec import Headers
from ticketing_adapters.kafka.consumer import ConsumedRecord
from ticketing_adapters.kafka.producer import AsyncProducer, Record

MAX_ERROR_HEADER_CHARS = 2_000


class RejectionReason(StrEnum):
    UNDECODABLE = "undecodable"
    WRITE_FAILED = "write_failed"


@dataclass(frozen=True, slots=True)
class Rejection:
    record: ConsumedRecord
    reason: RejectionReason
    error: BaseException


class DeadLetterQueue:
    def __init__(self, producer: AsyncProducer, topic: str, worker: str) -> None:
        self._producer = producer
        self._topic = topic
        self._worker = worker

    async def send(self, rejections: Sequence[Rejection]) -> None:
        """Returns once Kafka confirmed every dead letter; raises ``DeliveryFailed`` otherwise
        (the caller then must not commit the source offsets)."""
        await self._producer.deliver([self._letter(rejection) for rejection in rejections])

    def _letter(self, rejection: Rejection) -> Record:
        record = rejection.record
        headers: Headers = [
            *record.headers,
            ("dlq.reason", rejection.reason.value),
            ("dlq.error", _describe(rejection.error)),
            ("dlq.sourceTopic", record.topic),
            ("dlq.sourcePartition", str(record.partition)),
            ("dlq.sourceOffset", str(record.offset)),
            ("dlq.worker", self._worker),
            ("dlq.failedAt", str(time.time_ns() // 1_000_000)),
        ]
        return Record(topic=self._topic, key=record.key, value=record.value, headers=headers)


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:MAX_ERROR_HEADER_CHARS]
