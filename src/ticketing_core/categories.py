"""Which seats a reserve asks for, in a sale with or without seat categories."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_core.errors import InvalidInput
from ticketing_core.model import ReservationItem
from ticketing_core.settings import EventSettings


def items_asked(
    settings: EventSettings,
    quantity: int,
    category_id: str | None,
    items: Sequence[ReservationItem],
) -> tuple[ReservationItem, ...]:
    """The reservation's items, in the sale's order of categories: ``items`` as asked, or
    ``quantity`` seats of ``category_id`` (which may go unnamed in a sale of one category);
    none in a sale without categories. ``quantity`` is the seats asked in all.

    Raises ``InvalidInput`` for a category the sale has not, one named twice, an item of no
    seat, items that do not add up to ``quantity``, or a category named in a sale without.
    """
    if settings.categories is None:
        if category_id is not None or items:
            raise InvalidInput("categoryId: this sale has no seat categories")
        return ()
    if items:
        if category_id is not None:
            raise InvalidInput("categoryId: give it or items, not both")
        return _ordered(settings, items, quantity)
    if category_id is None:
        if len(settings.categories) > 1:
            known = ", ".join(c.category_id for c in settings.categories)
            raise InvalidInput(f"categoryId: required, this sale has several ({known})")
        category_id = settings.categories[0].category_id
    return _ordered(settings, (ReservationItem(category_id, quantity),), quantity)


def _ordered(
    settings: EventSettings, items: Sequence[ReservationItem], quantity: int
) -> tuple[ReservationItem, ...]:
    assert settings.categories is not None
    order = {c.category_id: n for n, c in enumerate(settings.categories)}
    for item in items:
        if item.category_id not in order:
            known = ", ".join(order)
            raise InvalidInput(f"categoryId: no category {item.category_id!r} here ({known})")
        if item.quantity < 1:
            raise InvalidInput("items: each asks for at least 1 seat")
    if len({item.category_id for item in items}) != len(items):
        raise InvalidInput("items: each category once")
    if sum(item.quantity for item in items) != quantity:
        raise InvalidInput("quantity: is the sum of the items' quantities")
    return tuple(sorted(items, key=lambda item: order[item.category_id]))
