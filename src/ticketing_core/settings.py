"""The settings of one event (sale), validated against the bounds of SPEC section 4."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from ticketing_core.clock import to_epoch_ms


@dataclass(frozen=True, slots=True)
class IdSyntax:
    """The characters an id may have, matched against the *whole* string.

    Each regex dialect anchors differently: in Python ``$`` also matches before a final
    newline (so ``"bob\\n"`` passed ``^...$``), and JSON Schema's ECMA-262 has no ``\\Z``. So
    the rule is kept unanchored and anchored here, once per dialect.
    """

    characters: str

    @property
    def python_pattern(self) -> str:
        """For ``re.search`` (msgspec's pattern check): the whole string, nothing after."""
        return rf"\A(?:{self.characters})\Z"

    @property
    def json_schema_pattern(self) -> str:
        """As JSON Schema (ECMA-262, where ``$`` is the end) states it in the OpenAPI document."""
        return f"^(?:{self.characters})$"

    def matches(self, text: str) -> bool:
        return re.fullmatch(self.characters, text) is not None

    def check(self, text: str) -> str:
        """``text`` if it matches; a ``ValueError`` (a validation error to pydantic) if not."""
        if not self.matches(text):
            raise ValueError(f"must match {self.json_schema_pattern}")
        return text


EVENT_ID = IdSyntax(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
USER_ID = IdSyntax(r"[A-Za-z0-9_.:@-]{1,128}")

DRAW_SEED = IdSyntax(r"[0-9a-f]{64}")
"""256 random bits as lowercase hex: a drawn pre-queue's seed (``ticketing_core.draw``)."""

CATEGORY_ID = IdSyntax(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
"""A seat category's id: as an event's, so that it holds no ``|`` (the separator of the Redis
fields that name a category, ``adapters/redis/keys.py``)."""

EventId = Annotated[str, AfterValidator(EVENT_ID.check)]
CategoryId = Annotated[str, AfterValidator(CATEGORY_ID.check)]
UserId = Annotated[str, AfterValidator(USER_ID.check)]

OPENING_YEARS = range(2000, 9999)
"""Years an opening time may name, as written (in its own offset). Stores keep it as epoch
milliseconds and give it back as a UTC datetime, whose last year is 9999: 9999-12-31T23:00-05:00
would be past it. Short of 9999 by a year, every offset is safe; and a sale opening before 2000
is a typo. A rule on the written year, unlike one on the instant, can be stated in the OpenAPI
document as a pattern (``OPENING_PATTERN``), so that both say the same."""

OPENING_PATTERN = r"^(?:[2-8][0-9]{3}|9[0-8][0-9]{2}|99[0-8][0-9]|999[0-8])-"
"""``OPENING_YEARS`` as JSON Schema states it for an RFC 3339 date-time string."""


class EventState(StrEnum):
    """Where an operator put the sale: ``OPEN`` admits, ``PAUSED`` admits nobody (places and
    admissions are kept), ``CLOSED`` takes no entry and no reserve, and is final."""

    OPEN = "OPEN"
    PAUSED = "PAUSED"
    CLOSED = "CLOSED"


MAX_ENTRY_WORK_BITS = 28
"""2^28 hashes is minutes on a phone: beyond that no buyer would wait."""

CHANGEABLE_SETTINGS = (
    "name",
    "admission_rate_per_second",
    "max_active_users",
    "admission_ttl_seconds",
    "hold_ttl_seconds",
    "presence_timeout_seconds",
    "entry_work_bits",
)
"""What ``PATCH /api/v1/events/{id}`` may change while the sale runs."""


MAX_CATEGORIES = 20
"""Categories one sale may have: a venue's price tiers, not a seat map."""


class SeatCategory(BaseModel):
    """One kind of seat in a sale (floor, stands, VIP): its own seats on sale and its own
    per-user limit. ``price`` is in the currency's minor units (cents), for the pages to show;
    the core takes no payment."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    category_id: CategoryId
    name: Annotated[str, Field(min_length=1, max_length=200)]
    seats: Annotated[int, Field(ge=0, le=10_000_000)]
    max_per_user: Annotated[int, Field(ge=1, le=100)] = 1
    price: Annotated[int, Field(ge=0, le=10**12)] | None = None


def _aware(value: datetime) -> datetime:
    """Naive times are ambiguous across instances; they are read as UTC. A time that the
    stores could keep but not give back (``OPENING_YEARS``) is refused here, before anything
    is stored."""
    if value.year not in OPENING_YEARS:
        raise ValueError(f"must name a year from {OPENING_YEARS.start} to {OPENING_YEARS.stop - 1}")
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Presale(BaseModel):
    """A window before the general opening in which only buyers with an access code enter
    (``ticketing_core.codes``): they are admitted from ``opens_at`` until ``closes_at``, and
    whoever of them still waits then is served first at the general opening."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    opens_at: Annotated[datetime, AfterValidator(_aware)]
    closes_at: Annotated[datetime, AfterValidator(_aware)]

    @property
    def opens_at_ms(self) -> int:
        return to_epoch_ms(self.opens_at)

    @property
    def closes_at_ms(self) -> int:
        return to_epoch_ms(self.closes_at)


class EventSettings(BaseModel):
    """A sale's settings as they stand; the core reads times as epoch milliseconds (``clock``).

    A value is immutable; an operator's change makes a new one (``SaleChange``), and
    ``version`` counts those changes, so that whoever holds two of them knows which is newer.
    ``total_seats`` and ``state`` move with the operator's seat and state changes.

    A sale without ``categories`` sells one kind of seat, as it always did. With them, each
    category has its own seats (``total_seats`` is their sum) and its own per-user limit, and
    ``max_per_user`` limits a user's seats over all of them (absent, it is the sum of the
    categories' limits, at most 100)."""

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
    presence_timeout_seconds: Annotated[int, Field(ge=0, le=86_400)] = 300
    """A waiting buyer keeps the place while seen (an open stream, a status read, entering
    again) within this long; one absent when their turn comes is skipped. 0: off."""
    draw_at_opening: bool = False
    """Everyone who enters before ``opens_at`` is put in a random order at the opening
    (``ticketing_core.draw``); who enters after joins behind them in order of entry."""
    draw_seed: Annotated[str, AfterValidator(DRAW_SEED.check)] | None = None
    """The draw's secret seed (a sale is created with one when it draws: ``create_event``
    refuses it otherwise); published once drawn, its SHA-256 when the sale is created. The
    settings in messages go without it (``EventChangeMessage``)."""
    entry_work_bits: Annotated[int, Field(ge=0, le=MAX_ENTRY_WORK_BITS)] = 0
    """An entry must bring a solved proof-of-work challenge of this many bits (0: none)."""
    entry_grant_required: bool = False
    """An entry must bring a grant the operator's site signed for the user (an identity
    the operator verified), so that a user is a person rather than a string."""
    categories: (
        Annotated[tuple[SeatCategory, ...], Field(min_length=1, max_length=MAX_CATEGORIES)] | None
    ) = None
    presale: Presale | None = None
    state: EventState = EventState.OPEN
    version: Annotated[int, Field(ge=0)] = 0

    @model_validator(mode="before")
    @classmethod
    def _totals_of_the_categories(cls, data: object) -> object:
        """With categories, the seats and the user's limit over the sale follow from them
        when not given."""
        if not isinstance(data, dict) or not isinstance(data.get("categories"), list | tuple):
            return data
        try:
            categories = [SeatCategory.model_validate(c) for c in data["categories"]]
        except ValidationError:
            return data  # the field's own validation says what is wrong
        filled = dict(data)
        filled.setdefault("total_seats", sum(c.seats for c in categories))
        filled.setdefault("max_per_user", min(100, sum(c.max_per_user for c in categories)))
        return filled

    @model_validator(mode="after")
    def _presale_before_the_opening(self) -> EventSettings:
        if self.presale is None:
            return self
        if not self.presale.opens_at < self.presale.closes_at <= self.opens_at:
            raise ValueError("presale: opens, then closes, by the general opens_at")
        if self.draw_at_opening:
            raise ValueError("presale: a sale that draws its pre-queue has no presale")
        return self

    @model_validator(mode="after")
    def _categories_add_up(self) -> EventSettings:
        if self.categories is None:
            return self
        ids = [c.category_id for c in self.categories]
        if len(set(ids)) != len(ids):
            raise ValueError("categories: each categoryId once")
        seats = sum(c.seats for c in self.categories)
        if seats != self.total_seats:
            raise ValueError(f"total_seats: {self.total_seats} is not the categories' {seats}")
        return self

    def category(self, category_id: str) -> SeatCategory | None:
        """The category of that id; None when the sale has none of it (or no categories)."""
        for category in self.categories or ():
            if category.category_id == category_id:
                return category
        return None

    @field_validator("opens_at")
    @classmethod
    def _aware_and_representable(cls, value: datetime) -> datetime:
        return _aware(value)

    @property
    def opens_at_ms(self) -> int:
        return to_epoch_ms(self.opens_at)

    @property
    def first_opening_ms(self) -> int:
        """When admissions begin: the presale's opening, else the sale's."""
        return self.presale.opens_at_ms if self.presale else self.opens_at_ms

    def opening_in_force_ms(self, now_ms: int) -> int:
        """The opening that admissions wait for at ``now_ms``: the presale's until it closes,
        then the general one. Between the two nobody is admitted."""
        if self.presale is not None and now_ms < self.presale.closes_at_ms:
            return self.presale.opens_at_ms
        return self.opens_at_ms

    def admits_at(self, now_ms: int) -> bool:
        """Whether admissions run at ``now_ms`` (in the presale or from the opening)."""
        return now_ms >= self.opening_in_force_ms(now_ms)

    def needs_code_at(self, now_ms: int) -> bool:
        """Whether an entry must bring an access code: until the presale closes."""
        return self.presale is not None and now_ms < self.presale.closes_at_ms

    @property
    def admission_ttl_ms(self) -> int:
        return self.admission_ttl_seconds * 1000

    @property
    def hold_ttl_ms(self) -> int:
        return self.hold_ttl_seconds * 1000

    @property
    def presence_timeout_ms(self) -> int:
        return self.presence_timeout_seconds * 1000
