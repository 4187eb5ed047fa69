"""Every setting of every ``ticketing`` process: one tree, read once (SPEC section 7).

``read_settings`` reads the ``TICKETING_*`` environment once per process and hands the result
down; nothing else reads the environment. Each group below is a part of the tree, named by the
process part that reads it; unset backends mean the embedded (in-memory) default. A setting
that does not parse is reported with the variable that holds it, all of them at once.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketing_adapters.kafka import DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_TOPIC, KafkaConfig

ENV_PREFIX = "TICKETING_"

Seconds = Annotated[float, Field(gt=0, le=3_600)]
Port = Annotated[int, Field(ge=0, le=65_535)]
TopicName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
"""pydantic matches with Rust's regex engine, whose ``$`` is the end of the text (no newline)."""


class SettingsInvalid(ValueError):
    """The environment names settings that cannot work; the message lists every one."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, extra="ignore", frozen=True)

    # -- secrets (ticketing_entrypoints.secrets) -------------------------------------------
    admin_key: SecretStr | None = None
    """Bearer key for admin routes. Unset in embedded mode: generated and logged at start."""
    token_secret: SecretStr | None = None
    """Signs queue tokens. Unset in embedded mode: random, so tokens die with the process."""

    # -- backends (ticketing_entrypoints.backends): which are set picks the deployment ------
    redis_url: str | None = None
    redis_cluster: bool = False
    kafka_bootstrap: str | None = None
    database_url: str | None = None
    allow_volatile_redis: bool = False
    """Serve on the full stack even when Redis would lose acknowledged writes in a crash (no
    ``appendonly yes`` with ``appendfsync always``): the operator accepts losing holds."""
    migrate_on_start: bool = False
    """Apply pending PostgreSQL migrations when the API starts: a development convenience;
    deployments run ``ticketing migrate`` once, as a release step."""

    # -- kafka: the topic names every process agrees on ------------------------------------
    kafka_topic: TopicName = DEFAULT_TOPIC
    kafka_dead_letter_topic: TopicName = DEFAULT_DEAD_LETTER_TOPIC
    kafka_partitions: Annotated[int, Field(ge=1, le=10_000)] = 6
    kafka_group: str = "ticketing-worker"
    """The consumer group of the workers: every worker of one deployment shares it."""

    # -- http (ticketing serve) -------------------------------------------------------------
    host: str = "127.0.0.1"
    port: Port = 8000
    workers: Annotated[int, Field(ge=1, le=256)] = 1
    stream_interval_seconds: Seconds = 0.1
    """How often one shared snapshot per event feeds every open position stream."""
    stream_keepalive_seconds: Seconds = 15.0
    route_latency_metrics: bool = True
    """Per-route latency histograms on ``/metrics`` (a few microseconds a request)."""
    max_body_bytes: Annotated[int, Field(ge=1_024)] = 64 * 1024

    # -- drivers: the background jobs of an API process -------------------------------------
    drivers: bool = True
    """Run the admission tick, hold expiry and outbox relay in this process."""
    api_relay: bool = True
    """With the drivers: relay the outbox here too. Off when ``ticketing worker --relay``
    processes relay instead, so that the API processes spend nothing on it."""
    tick_interval_seconds: Seconds = 0.1
    relay_interval_seconds: Seconds = 0.1
    metrics_interval_seconds: Seconds = 1.0
    """How often the drivers read each busy event's stats into the gauges of ``/metrics``."""
    idle_interval_seconds: Seconds = 5.0
    """How often the drivers visit a quiet event (nobody waiting or admitted, no seat held)
    that no request through this instance changed: its ticks, relay and stats."""

    # -- worker (ticketing worker) ------------------------------------------------------------
    worker_batch_size: Annotated[int, Field(ge=1, le=100_000)] = 1_000
    worker_writes_in_flight: Annotated[int, Field(ge=1, le=16)] = 2
    """Batches one worker stores at once, each on its own database connection."""
    worker_metrics_host: str = "127.0.0.1"
    worker_metrics_port: Port = 0
    """Where ``ticketing worker`` serves ``/metrics`` (e.g. 9464); 0, the default, serves
    none, so that any number of workers can start on one host without picking ports."""

    def require(self, *names: str) -> None:
        """Raises ``SettingsInvalid`` naming every one of ``names`` that is not set."""
        missing = [variable(name) for name in names if getattr(self, name) is None]
        if missing:
            raise SettingsInvalid(f"{' and '.join(missing)} must be set")

    def required(self, name: str) -> str:
        """The value of the text setting ``name``; ``SettingsInvalid`` when it is not set."""
        self.require(name)
        value = getattr(self, name)
        assert isinstance(value, str), f"{name} is not a text setting"
        return value

    def kafka_config(self) -> KafkaConfig:
        return KafkaConfig(
            bootstrap_servers=self.required("kafka_bootstrap"),
            topic=self.kafka_topic,
            dead_letter_topic=self.kafka_dead_letter_topic,
            partitions=self.kafka_partitions,
        )


def variable(name: str) -> str:
    """The environment variable of setting ``name``."""
    return f"{ENV_PREFIX}{name.upper()}"


def read_settings(**overrides: Any) -> Settings:
    """The settings of this process from the environment (``overrides`` win); raises
    ``SettingsInvalid`` naming every variable that does not parse, with the reason."""
    try:
        return Settings(**overrides)
    except ValidationError as error:
        problems = "; ".join(
            f"{variable(str(problem['loc'][0]))}: {problem['msg']}"
            f" (got {str(problem['input'])[:60]!r})"
            for problem in error.errors(include_url=False)
        )
        raise SettingsInvalid(problems) from None


def settings_help(*names: str) -> str:
    """``--help`` text naming the variables a command reads, with their defaults."""
    fields = Settings.model_fields
    lines = []
    for name in names:
        default = fields[name].default
        shown = "unset" if default is None else repr(default)
        lines.append(f"  {variable(name):<36} default {shown}")
    return "settings (environment):\n" + "\n".join(lines)
