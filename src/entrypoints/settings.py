"""Every setting of every ``ticketing`` process: one tree, read once (SPEC section 7).

``read_settings`` reads the ``TICKETING_*`` environment once per process and hands the result
down; nothing else reads the environment. Each group below is a part of the tree, named by the
process part that reads it; unset backends mean the embedded (in-memory) default. A setting
that does not parse is reported with the variable that holds it, all of them at once.
"""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ticketing_adapters.kafka import DEFAULT_DEAD_LETTER_TOPIC, DEFAULT_TOPIC, KafkaConfig
from ticketing_core.budgets import Budget

ENV_PREFIX = "TICKETING_"

Seconds = Annotated[float, Field(gt=0, le=3_600)]
Port = Annotated[int, Field(ge=0, le=65_535)]
TopicName = Annotated[str, Field(pattern=r"^[A-Za-z0-9._-]{1,249}$")]
"""pydantic matches with Rust's regex engine, whose ``$`` is the end of the text (no newline)."""
BudgetText = Annotated[str, Field(pattern=r"^[0-9]{1,6}(\.[0-9]{1,3})?/[0-9]{1,6}$")]
"""A request budget as ``rate/burst``: ``5/50`` is 50 requests at once, then 5 a second."""

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
"""A trusted proxy's network (``ticketing_entrypoints.http.client_address``)."""


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

    # -- limits against bots (ticketing_entrypoints.http.limits) ----------------------------
    rate_limits: bool = True
    """Refuse a client past its request budget with 429 (off: no budget is checked)."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks of the proxies in front of the API: a request
    from one of them is the client's that its ``X-Forwarded-For`` names (the nearest address
    that is not itself a trusted proxy). Any other peer is the client itself, whatever its
    ``X-Forwarded-For`` says."""
    limits_redis_url: str | None = None
    """A Redis of its own for the request budgets (with ``TICKETING_REDIS_URL``; unset: the
    hot state's). Budgets need no durability: on a Redis without ``appendfsync always`` their
    write on every request costs no fsync (ADR 0016). Its being down lets requests through
    unchecked (counted), it does not refuse them."""
    limits_redis_cluster: bool = False
    limit_enter_per_address: BudgetText = "5/50"
    """Entries and entry challenges. Per address, the budgets leave room for a few dozen
    buyers behind one NAT; per queue token, several times what the buyer page asks for."""
    limit_read_per_address: BudgetText = "50/200"
    limit_read_per_user: BudgetText = "5/20"
    """Status, event and reservation reads (the buyer page reads a few a minute)."""
    limit_hold_per_address: BudgetText = "20/100"
    limit_hold_per_user: BudgetText = "2/10"
    """Reserve, confirm, cancel and leaving the queue."""
    limit_stream_per_address: BudgetText = "5/50"
    limit_stream_per_user: BudgetText = "1/5"
    """Stream opens (the buyer page opens one, and again after a dropped connection)."""
    limit_admin_per_address: BudgetText = "50/200"
    streams_per_token: Annotated[int, Field(ge=1, le=100)] = 2
    """Open position streams one queue token may hold in one process; opening one more
    closes the oldest (``event: replaced``)."""
    streams_per_address: Annotated[int, Field(ge=1, le=20_000)] = 200
    """Open position streams one client address may hold in one process; more are refused
    with 429, so that no client can take the open files every buyer needs."""
    challenge_lifetime_seconds: Annotated[int, Field(ge=10, le=3_600)] = 300
    """How long an entry challenge (proof of work) may be solved and used."""

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

    @field_validator("trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        _parse_networks(value)
        return value

    @field_validator("*")
    @classmethod
    def _budget_passes_something(cls, value: Any, info: Any) -> Any:
        if str(info.field_name).startswith("limit_"):
            rate, _, burst = str(value).partition("/")
            if not (float(rate) > 0 and int(burst) >= 1):
                raise ValueError("a budget needs a rate above 0 and a burst of at least 1")
        return value

    @property
    def trusted_proxy_networks(self) -> tuple[IPNetwork, ...]:
        return _parse_networks(self.trusted_proxies)

    def budget(self, name: str) -> Budget:
        """The budget of setting ``limit_<name>`` (``enter_per_address``, say)."""
        rate, _, burst = str(getattr(self, f"limit_{name}")).partition("/")
        return Budget(per_second=float(rate), burst=int(burst))

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


def _parse_networks(text: str) -> tuple[IPNetwork, ...]:
    """Raises ``ValueError`` naming the entry that is no address or network."""
    networks = []
    for entry in (part.strip() for part in text.split(",")):
        if entry:
            try:
                networks.append(ipaddress.ip_network(entry, strict=False))
            except ValueError:
                raise ValueError(f"{entry!r} is no IP address or network") from None
    return tuple(networks)


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
