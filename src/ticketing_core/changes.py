"""An operator's change of a running sale, and the rule that applies it.

Changes are made by the catalog in one atomic step with the sale's stock (one Lua script on
Redis, one call on ``SaleState`` in memory), so that a seat change keeps
``remaining + pending + confirmed == total_seats`` and no change can slip between a close and
the reserves it stops. ``SaleChange.applied_to`` is the rule; the Redis script restates it in
Lua and ``ticketing_core.testing`` proves both against its own model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pydantic

from ticketing_core.errors import InsufficientSeats, InvalidInput, SaleClosed
from ticketing_core.settings import CHANGEABLE_SETTINGS, EventSettings, EventState

MAX_TOTAL_SEATS = 10_000_000

ChangeDetail = tuple[tuple[str, int | str], ...]
"""What an operator asked for: the settings named and their new values, ``delta`` for seats,
nothing for a pause, resume or close (the kind says it)."""


class ChangeKind(StrEnum):
    SETTINGS = "settings"
    PAUSE = "pause"
    RESUME = "resume"
    CLOSE = "close"
    SEATS = "seats"


_STATE_AFTER: dict[ChangeKind, EventState] = {
    ChangeKind.PAUSE: EventState.PAUSED,
    ChangeKind.RESUME: EventState.OPEN,
    ChangeKind.CLOSE: EventState.CLOSED,
}

_VALID_BASE = EventSettings(
    event_id="any", name="any", total_seats=1, opens_at=datetime(2000, 1, 1, tzinfo=UTC)
)
"""Settings to validate changed values against: the changeable settings have no rule that
involves another setting, so valid here is valid in every sale."""


@dataclass(frozen=True, slots=True)
class SaleChange:
    kind: ChangeKind
    settings: ChangeDetail = ()
    """For ``SETTINGS``: (setting, new value) pairs, validated, in ``CHANGEABLE_SETTINGS``."""
    seats: int = 0
    """For ``SEATS``: seats put on sale (> 0) or withdrawn (< 0)."""
    category: str | None = None
    """For ``SEATS`` in a sale with categories: the category whose seats change."""

    @classmethod
    def of_settings(cls, values: Mapping[str, object]) -> SaleChange:
        """Raises ``InvalidInput`` for a setting that cannot change or a value out of its
        bounds (SPEC section 4). No value is a change that changes nothing."""
        unknown = sorted(set(values) - set(CHANGEABLE_SETTINGS))
        if unknown:
            raise InvalidInput(f"{', '.join(unknown)}: cannot change while the sale runs")
        try:
            valid = EventSettings.model_validate({**_VALID_BASE.model_dump(), **values})
        except pydantic.ValidationError as error:
            first = error.errors(include_url=False)[0]
            raise InvalidInput(f"{first['loc'][0]}: {first['msg']}") from None
        return cls(ChangeKind.SETTINGS, tuple((name, getattr(valid, name)) for name in values))

    @classmethod
    def of_state(cls, kind: ChangeKind) -> SaleChange:
        assert kind in _STATE_AFTER, kind
        return cls(kind)

    @classmethod
    def of_seats(cls, delta: int, category: str | None = None) -> SaleChange:
        if abs(delta) > MAX_TOTAL_SEATS:
            raise InvalidInput(f"delta: at most {MAX_TOTAL_SEATS:,} seats, up or down")
        return cls(ChangeKind.SEATS, seats=delta, category=category)

    @property
    def detail(self) -> ChangeDetail:
        """What was asked, as the record keeps it (``EventChangeMessage.detail``)."""
        if self.kind is ChangeKind.SEATS:
            named = () if self.category is None else (("category", self.category),)
            return (("delta", self.seats), *named)
        return self.settings

    def applied_to(self, settings: EventSettings, remaining: int) -> EventSettings:
        """The settings after this change, given the seats ``remaining`` on sale (of the
        category it names, for a seat change in a sale with categories); the same object when
        it changes nothing (pausing a paused sale, closing a closed one, no setting named, no
        seat).

        A closed sale takes no change but closing again (``SaleClosed``). A seat change names
        one of the sale's categories if it has any, and none if not (``InvalidInput``). Seats
        withdrawn must be unsold (``InsufficientSeats``), and a sale keeps 1..10,000,000 seats
        (``InvalidInput``). Every change that changes something counts in ``version``.
        """
        if settings.state is EventState.CLOSED:
            if self.kind is ChangeKind.CLOSE:
                return settings
            raise SaleClosed("the sale is closed; nothing of it changes any more")
        update: dict[str, object]
        if self.kind in (ChangeKind.SETTINGS, ChangeKind.SEATS) and not (
            self.settings or self.seats
        ):
            return settings
        if self.kind is ChangeKind.SETTINGS:
            update = dict(self.settings)
        elif self.kind is ChangeKind.SEATS:
            self.check_category(settings)
            if -self.seats > remaining:
                raise InsufficientSeats(f"only {remaining} seats are unsold")
            total = settings.total_seats + self.seats
            if not 1 <= total <= MAX_TOTAL_SEATS:
                raise InvalidInput(f"a sale has 1..{MAX_TOTAL_SEATS:,} seats, not {total:,}")
            update = {"total_seats": total}
            if settings.categories is not None:
                update["categories"] = tuple(
                    c.model_copy(update={"seats": c.seats + self.seats})
                    if c.category_id == self.category
                    else c
                    for c in settings.categories
                )
        else:
            state = _STATE_AFTER[self.kind]
            if settings.state is state:
                return settings
            update = {"state": state}
        return settings.model_copy(update={**update, "version": settings.version + 1})

    def check_category(self, settings: EventSettings) -> None:
        """A seat change names one of the sale's categories, or none in a sale without."""
        if settings.categories is None:
            if self.category is not None:
                raise InvalidInput("category: this sale has no categories")
        elif self.category is None or settings.category(self.category) is None:
            known = ", ".join(c.category_id for c in settings.categories)
            raise InvalidInput(f"category: name one of the sale's categories ({known})")
