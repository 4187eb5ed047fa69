"""The event bus on Kafka: every reservation message confirmed by the brokers, in order per
reservation."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from adapters.kafka.codec import encode_key, encode_value, headers_of
from adapters.kafka.config import KafkaConfig
from adapters.kafka.producer import AsyncProducer, Record
from adapters.kafka.topics import ensure_topics
from ticketing_core.messages import ReservationMessage


def producer_settings(config: KafkaConfig) -> dict[str, Any]:
    return {
        "bootstrap.servers": config.bootstrap_servers,
        "client.id": config.client_id,
        # Written to every in-sync replica before it counts as delivered...
        "acks": "all",
        # ...exactly once per send and in order per partition, however often librdkafka
        # retries internally (the broker drops the duplicates).
        "enable.idempotence": True,
        "delivery.timeout.ms": config.delivery_timeout_ms,
        # A few milliseconds of batching buy large batches under load at little latency.
        "linger.ms": 5,
        "compression.type": "zstd",
    }


class KafkaEventBus:
    """``EventBus``: ``start()`` before use (creates missing topics), ``close()`` on shutdown."""

    def __init__(self, config: KafkaConfig) -> None:
        self._config = config
        self._producer = AsyncProducer(producer_settings(config))

    async def start(self, *, create_topics: bool = True) -> None:
        """Starts the producer, first creating the topics if missing (unless told not to:
        where topics are managed elsewhere, or the broker is not reachable yet)."""
        if create_topics:
            await ensure_topics(self._config)
        await self._producer.start()

    async def publish(self, messages: Sequence[ReservationMessage]) -> None:
        """Returns once Kafka confirmed every message; raises ``DeliveryFailed`` otherwise,
        so that the relay keeps the outbox entries and publishes them again."""
        await self._producer.deliver(
            [
                Record(
                    topic=self._config.topic,
                    key=encode_key(message),  # one reservation, one partition, one order
                    value=encode_value(message),
                    headers=headers_of(message),
                )
                for message in messages
            ]
        )

    async def ping(self) -> None:
        """Returns when Kafka answers for the stream's topic; raises otherwise (a health
        probe)."""
        await self._producer.ping(self._config.topic)

    async def close(self) -> None:
        await self._producer.close()
