"""Settings of the real stack's Kafka and PostgreSQL side, from ``TICKETING_*`` variables.

Shared by the consumer worker, the migrate and reconcile commands and the container, so that
every process agrees on the topic names.
"""

from __future__ import annotations

from typing import Annotated, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from adapters.kafka import DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_TOPIC, KafkaConfig

TopicName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")]


class DatabaseSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore", frozen=True)

    database_url: str


class StackSettings(DatabaseSettings):
    kafka_bootstrap: str
    kafka_topic: TopicName = DEFAULT_TOPIC
    kafka_dead_letter_topic: TopicName = DEFAULT_DEAD_LETTER_TOPIC
    kafka_partitions: Annotated[int, Field(ge=1, le=10_000)] = 6
    kafka_group: str = "ticketing-worker"
    """The consumer group of the workers: every worker of one deployment shares it."""
    worker_batch_size: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    worker_writes_in_flight: Annotated[int, Field(ge=1, le=16)] = 2
    """Batches one worker stores at once, each on its own database connection."""
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Annotated[int, Field(ge=0, le=65_535)] = 0
    """Where ``ticketing worker`` serves ``/metrics`` (e.g. 9464); 0, the default, serves
    none, so that any number of workers can start on one host without picking ports."""

    def kafka_config(self) -> KafkaConfig:
        return KafkaConfig(
            bootstrap_servers=self.kafka_bootstrap,
            topic=self.kafka_topic,
            dead_letter_topic=self.kafka_dead_letter_topic,
            partitions=self.kafka_partitions,
        )


SettingsT = TypeVar("SettingsT", bound=BaseSettings)


def settings_for_command(kind: type[SettingsT]) -> SettingsT:
    """The settings from the environment; a command exits with a one-line reason without."""
    try:
        return kind()
    except ValidationError as error:
        problems = "; ".join(
            f"TICKETING_{'_'.join(map(str, problem['loc'])).upper()}: {problem['msg']}"
            for problem in error.errors()
        )
        raise SystemExit(f"ticketing: {problems}") from None


class ReconcileSettings(DatabaseSettings):
    redis_url: str
    redis_cluster: bool = False
