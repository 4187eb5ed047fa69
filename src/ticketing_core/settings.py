"""The settings of one event (sale), validated against the bounds of SPEC section 4."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, field_validator

EVENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$"
USER_ID_PATTERN = r"^[A-Za-z0-9_.:@-]{1,128}$"

EventId = Annotated[str, Field(pattern=EVENT_ID_PATTERN)]
UserId = Annotated[str, Field(pattern=USER_ID_PATTERN)]


class EventSettings(BaseModel):
    """Immutable settings of a sale; the core reads times as epoch milliseconds (``clock``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    event_id: EventId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    total_seats: Annotated[int, Field(ge=1, le=10_000_000)]
    max_per_user: Annotated[int, Field(ge=1, le=100)] = 1
    opens_at: datetime
    admission_rate_per_second: Annotated[int, Field(ge=1, le=100_000)] = 100
    max_active_users: Annotated[int, Field(ge=1, le=1_000_000)] = 5_000
    admission_ttl_seconds: Annotated[int, Field(ge=1, le=86_400)] = 300
    hold_ttl_seconds: Annotated[int, Field(ge=1, le=86_400)] = 600

    @field_validator("opens_at")
    @classmethod
    def _aware(cls, value: datetime) -> datetime:
        """Naive times are ambiguous across instances; they are read as UTC."""
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    @property
    def opens_at_ms(self) -> int:
        return int(self.opens_at.timestamp() * 1000)

    @property
    def admission_ttl_ms(self) -> int:
        return self.admission_ttl_seconds * 1000

    @property
    def hold_ttl_ms(self) -> int:
        return self.hold_ttl_seconds * 1000
