"""Creates the reservation topics when they are missing."""

from __future__ import annotations

import asyncio
import logging

from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# The public name is confluent_kafka.admin.NewTopic, which re-exports this class without
# declaring it (so strict mypy refuses it there).
from confluent_kafka.cimpl import NewTopic

from ticketing_adapters.kafka.config import KafkaConfig

log = logging.getLogger(__name__)
ADMIN_TIMEOUT_SECONDS = 30.0


class TopicsUnavailable(Exception):
    """The brokers did not answer the topic listing or creation in time."""


def create_missing_topics(
    config: KafkaConfig, timeout_seconds: float = ADMIN_TIMEOUT_SECONDS
) -> list[str]:
    """Blocking: creates the stream and dead-letter topics if absent; returns those created.
    Raises ``TopicsUnavailable`` when the brokers do not answer within ``timeout_seconds``.

    Creating is idempotent because "already exists" counts as success, so several processes
    starting at once all succeed.
    """
    admin = AdminClient(
        {"bootstrap.servers": config.bootstrap_servers, "client.id": f"{config.client_id}-admin"}
    )
    wanted = [config.topic, config.dead_letter_topic]
    try:
        existing = admin.list_topics(timeout=timeout_seconds).topics
    except KafkaException as error:
        raise TopicsUnavailable(str(error)) from error
    missing = [name for name in wanted if name not in existing]
    if not missing:
        return []
    futures = admin.create_topics(
        [NewTopic(name, config.partitions, config.replication_factor) for name in missing],
        operation_timeout=timeout_seconds,
        request_timeout=timeout_seconds,
    )
    created = []
    for name, future in futures.items():
        try:
            future.result()
            created.append(name)
        except KafkaException as error:
            if error.args[0].code() != KafkaError.TOPIC_ALREADY_EXISTS:
                raise TopicsUnavailable(str(error)) from error
    if created:
        log.info("created Kafka topics %s (%d partitions)", created, config.partitions)
    return created


async def ensure_topics(
    config: KafkaConfig, timeout_seconds: float = ADMIN_TIMEOUT_SECONDS
) -> list[str]:
    """``create_missing_topics`` off the event loop (the admin calls block)."""
    return await asyncio.to_thread(create_missing_topics, config, timeout_seconds)
