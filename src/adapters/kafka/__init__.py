"""Kafka adapters (confluent-kafka): the event bus, and the consumer side the worker runs on."""

from ticketing_adapters.kafka.bus import KafkaEventBus, producer_settings
from ticketing_adapters.kafka.config import DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_TOPIC, KafkaConfig
from ticketing_adapters.kafka.consumer import (
    BatchConsumer,
    ConsumedRecord,
    ConsumerFailed,
    consumer_settings,
)
from ticketing_adapters.kafka.dead_letter import DeadLetterQueue, Rejection, RejectionReason
from ticketing_adapters.kafka.producer import AsyncProducer, DeliveryFailed, Record
from ticketing_adapters.kafka.topics import TopicsUnavailable, ensure_topics

__all__ = [
    "DEFAULT_DEAD_LETTER_TOPIC",
    "DEFAULT_TOPIC",
    "AsyncProducer",
    "BatchConsumer",
    "ConsumedRecord",
    "ConsumerFailed",
    "DeadLetterQueue",
    "DeliveryFailed",
    "KafkaConfig",
    "KafkaEventBus",
    "Record",
    "Rejection",
    "RejectionReason",
    "TopicsUnavailable",
    "consumer_settings",
    "ensure_topics",
    "producer_settings",
]
