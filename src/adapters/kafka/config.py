"""Where the reservation messages live in Kafka and how the clients reach it."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_TOPIC = "ticketing.reservations"
DEFAULT_DEAD_LETTER_TOPIC = "ticketing.reservations.dlq"


@dataclass(frozen=True, slots=True)
class KafkaConfig:
    bootstrap_servers: str
    topic: str = DEFAULT_TOPIC
    dead_letter_topic: str = DEFAULT_DEAD_LETTER_TOPIC
    # Partitions bound how many consumer workers share the stream; 6 leaves room to scale out.
    partitions: int = 6
    # -1 lets the broker choose (default.replication.factor): 1 on a dev node, 3 in production.
    replication_factor: int = -1
    client_id: str = "ticketing"
    # How long the producer keeps retrying a message before it reports the delivery failed.
    # The relay then keeps the outbox entry and publishes it again, so this only bounds how
    # long one publish call may wait while the broker is away.
    delivery_timeout_ms: int = 30_000
