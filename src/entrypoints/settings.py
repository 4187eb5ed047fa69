"""Process settings, read from ``TICKETING_*`` environment variables (SPEC section 7)."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

Seconds = Annotated[float, Field(gt=0, le=3_600)]


class AppSettings(BaseSettings):
    """How one process runs. Unset backends mean the embedded (in-memory) default."""

    model_config = SettingsConfigDict(env_prefix="TICKETING_", extra="ignore", frozen=True)

    admin_key: SecretStr | None = None
    """Bearer key for admin routes. Unset in embedded mode: generated and logged at start."""
    token_secret: SecretStr | None = None
    """Signs queue tokens. Unset in embedded mode: random, so tokens die with the process."""

    redis_url: str | None = None
    redis_cluster: bool = False
    kafka_bootstrap: str | None = None
    database_url: str | None = None
    migrate_on_start: bool = False
    """Apply pending PostgreSQL migrations when the API starts: a development convenience;
    deployments run ``ticketing migrate`` once, as a release step."""

    host: str = "127.0.0.1"
    port: Annotated[int, Field(ge=0, le=65_535)] = 8000
    workers: Annotated[int, Field(ge=1, le=256)] = 1

    drivers: bool = True
    """Run the admission tick, hold expiry and outbox relay in this process."""
    tick_interval_seconds: Seconds = 0.1
    relay_interval_seconds: Seconds = 0.1
    stream_interval_seconds: Seconds = 0.1
    """How often one shared snapshot per event feeds every open position stream."""
    stream_keepalive_seconds: Seconds = 15.0
    metrics_interval_seconds: Seconds = 1.0
    """How often the drivers read each busy event's stats into the gauges of ``/metrics``."""
    idle_interval_seconds: Seconds = 5.0
    """How often the drivers visit a quiet event (nobody waiting or admitted, no seat held)
    that no request through this instance changed: its ticks, relay and stats."""
    route_latency_metrics: bool = True
    """Per-route latency histograms on ``/metrics`` (a few microseconds a request)."""

    max_body_bytes: Annotated[int, Field(ge=1_024)] = 64 * 1024

    @property
    def embedded(self) -> bool:
        """True when no external backend is configured: everything lives in this process."""
        return self.redis_url is None and self.kafka_bootstrap is None and self.database_url is None
