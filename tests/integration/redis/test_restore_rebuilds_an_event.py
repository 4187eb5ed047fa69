"""``restore_event`` (what ``ticketing reconcile --repair`` writes) rebuilds an event from its
reservations in one script, on the standalone server and on the Cluster (every key it is given
carries the event's hash tag)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_adapters.redis.keys import OUTBOX_GROUP, event_key
from ticketing_adapters.redis.restore import restore_event
from ticketing_core import EventSettings
from ticketing_core.clock import to_datetime
from ticketing_core.model import (
    CategoryStock,
    Reservation,
    ReservationItem,
    ReservationStatus,
    StockStats,
)
from ticketing_core.settings import SeatCategory

pytestmark = pytest.mark.anyio

NOW_MS = 1_800_000_000_000
HOLD_MS = 600_000


def reservation(
    settings: EventSettings, user: str, quantity: int, status: ReservationStatus
) -> Reservation:
    return Reservation(
        f"{user}-hold", settings.event_id, user, quantity, status, NOW_MS, NOW_MS + HOLD_MS, NOW_MS
    )


async def test_restore_writes_seats_reservations_holds_and_limits_and_replaces_them(
    open_instance: Opener,
) -> None:
    settings = EventSettings(
        event_id=new_event_id(), name="restored", total_seats=20, opens_at=to_datetime(NOW_MS)
    )
    ann, bob, cy, dee = (
        reservation(settings, "ann", 2, ReservationStatus.PENDING),
        reservation(settings, "bob", 3, ReservationStatus.CONFIRMED),
        reservation(settings, "cy", 1, ReservationStatus.CANCELLED),
        reservation(settings, "dee", 4, ReservationStatus.EXPIRED),
    )
    async with instances(open_instance, 1) as (state,):
        client = state.client

        written = await restore_event(client, settings, [ann, bob, cy, dee], NOW_MS)

        assert written == StockStats(15, 2, 3)
        assert await state.stock.stats(settings) == written
        for kept in (ann, bob, cy, dee):
            assert await state.stock.get(settings.event_id, kept.reservation_id) == kept
        assert settings.event_id in await state.catalog.event_ids()
        assert await client.hgetall(event_key(settings.event_id, "held")) == {
            "ann": "2",
            "bob": "3",
        }
        groups = await client.xinfo_groups(event_key(settings.event_id, "outbox"))
        assert [group["name"] for group in groups] == [OUTBOX_GROUP]
        expired = await state.stock.expire_holds(settings, NOW_MS + HOLD_MS, 10)
        assert [(r.reservation_id, r.status) for r in expired] == [
            (ann.reservation_id, ReservationStatus.EXPIRED)
        ], "the PENDING hold was rebuilt, by its expiry"

        again = await restore_event(client, settings, [bob], NOW_MS)

        assert again == await state.stock.stats(settings) == StockStats(17, 0, 3)
        assert await state.stock.get(settings.event_id, ann.reservation_id) is None
        assert await client.hgetall(event_key(settings.event_id, "held")) == {"bob": "3"}


async def test_restore_rebuilds_each_seat_category_and_its_limits(open_instance: Opener) -> None:
    settings = EventSettings(
        event_id=new_event_id(),
        name="restored tiers",
        total_seats=13,
        categories=[
            SeatCategory(category_id="floor", name="Floor", seats=5, max_per_user=2),
            SeatCategory(category_id="stands", name="Stands", seats=8, max_per_user=4),
        ],
        opens_at=to_datetime(NOW_MS),
    )
    items = (ReservationItem("floor", 2), ReservationItem("stands", 1))
    ann = replace(reservation(settings, "ann", 3, ReservationStatus.PENDING), items=items)
    bob = replace(
        reservation(settings, "bob", 4, ReservationStatus.CONFIRMED),
        items=(ReservationItem("stands", 4),),
    )
    async with instances(open_instance, 1) as (state,):
        written = await restore_event(state.client, settings, [ann, bob], NOW_MS)

        assert written.categories == (
            CategoryStock("floor", 3, 2, 0),
            CategoryStock("stands", 3, 1, 4),
        )
        assert await state.stock.stats(settings) == written
        assert await state.stock.get(settings.event_id, ann.reservation_id) == ann
        assert await state.client.hgetall(event_key(settings.event_id, "held")) == {
            "ann": "3",
            "floor|ann": "2",
            "stands|ann": "1",
            "bob": "4",
            "stands|bob": "4",
        }
        cancelled = await state.stock.cancel(settings, "ann", ann.reservation_id, NOW_MS)
        assert cancelled.status is ReservationStatus.CANCELLED
        after = await state.stock.stats(settings)
        assert after.categories == (
            CategoryStock("floor", 5, 0, 0),
            CategoryStock("stands", 4, 0, 4),
        ), "the rebuilt hold gives each category its seats back"
