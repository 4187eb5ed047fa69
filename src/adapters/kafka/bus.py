"""The event bus on Kafka: every reservation message confirmed by the brokers, in order per
reservation."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from ticketing_adapters.kafka.codec import encode_key, encode_value, headers_of
from ticketing_adapters.kafka.config import KafkaConfig
from ticketing_adapters.kafka.dead_letter import DeadLetterQueue
from ticketing_adapters.kafka.producer import AsyncProducer, DeliveryFailed, Record
from ticketing_adapters.kafka.topics import TopicsUnavailable, ensure_topics
from ticketing_core.messages import Message

log = logging.getLogger(__name__)
START_TOPICS_TIMEOUT_SECONDS = 5.0
"""How long an instance's start waits for a broker before it goes on without one."""
PING_TOPICS_TIMEOUT_SECONDS = 2.0


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
    """``EventBus``: ``start()`` before use, ``close()`` on shutdown.

    Missing topics are created at start if a broker answers, else by the first publish or
    health probe that reaches one: an API instance starts, and sells, while Kafka is away
    (its outbox keeps the messages), instead of failing to start.

    It holds the process's one producer: a worker sends its dead letters through the same
    client (``dead_letters``), so producer settings and lifecycle live here alone.
    """

    def __init__(self, config: KafkaConfig) -> None:
        self._config = config
        self._producer = AsyncProducer(producer_settings(config))
        self._topics_ready = False
        self._creating_topics = asyncio.Lock()

    async def start(self, *, create_topics: bool = True) -> None:
        """Starts the producer and creates the topics if missing (unless told not to, where
        topics are managed elsewhere); a broker that does not answer within
        ``START_TOPICS_TIMEOUT_SECONDS`` leaves that to the first publish."""
        await self._producer.start()
        if not create_topics:
            self._topics_ready = True
            return
        try:
            await self._ensure_topics(START_TOPICS_TIMEOUT_SECONDS)
        except DeliveryFailed as error:
            log.warning("starting without Kafka; publishing waits for it: %s", error)

    async def publish(self, messages: Sequence[Message]) -> None:
        """Returns once Kafka confirmed every message; raises ``DeliveryFailed`` otherwise,
        so that the relay keeps the outbox entries and publishes them again."""
        await self._ensure_topics(self._config.delivery_timeout_ms / 1000)
        await self._producer.deliver(
            [
                Record(
                    topic=self._config.topic,
                    key=encode_key(message),  # one reservation (event), one partition, one order
                    value=encode_value(message),
                    headers=headers_of(message),
                )
                for message in messages
            ]
        )

    async def ping(self) -> None:
        """Returns when Kafka answers for the stream's topic; raises otherwise (a health
        probe)."""
        try:
            # Not behind a publish that is waiting out its own, longer, attempt.
            async with asyncio.timeout(PING_TOPICS_TIMEOUT_SECONDS):
                await self._ensure_topics(PING_TOPICS_TIMEOUT_SECONDS)
        except TimeoutError:
            raise DeliveryFailed("the topics are not created yet") from None
        await self._producer.ping(self._config.topic)

    async def _ensure_topics(self, timeout_seconds: float) -> None:
        if self._topics_ready:
            return
        async with self._creating_topics:
            if self._topics_ready:
                return  # another caller created them meanwhile
            try:
                await ensure_topics(self._config, timeout_seconds)
            except TopicsUnavailable as error:
                raise DeliveryFailed(f"the topics cannot be created yet: {error}") from error
            self._topics_ready = True

    def dead_letters(self, worker: str) -> DeadLetterQueue:
        """The dead-letter topic of this bus's stream, written by ``worker``."""
        return DeadLetterQueue(self._producer, self._config.dead_letter_topic, worker)

    async def close(self) -> None:
        await self._producer.close()
