"""Deleting an event on the real stack: the hot state in Redis first, then the PostgreSQL row
(``RecordingCatalog``), and a retry that finds the hot state gone still removes the row."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.support.records import T0, created, event_settings
from tests.support.redis_servers import forget_events, new_event_id
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_adapters.redis import RedisHotState, open_redis_hot_state
from ticketing_core.errors import EventHasReservations, EventNotFound
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.stream_and_record import RecordingCatalog

pytestmark = pytest.mark.anyio


@pytest.fixture
async def hot(stack_redis_url: str) -> AsyncIterator[RedisHotState]:
    state = await open_redis_hot_state(stack_redis_url)
    yield state
    await state.close()


@pytest.fixture
async def sale(hot: RedisHotState) -> AsyncIterator[EventSettings]:
    """This test's own event id in the shared Redis; its keys are deleted afterwards."""
    settings = event_settings(new_event_id())
    yield settings
    await forget_events(hot.client, [settings.event_id])


@pytest.fixture
def catalog(hot: RedisHotState, repository: PostgresReservationRepository) -> RecordingCatalog:
    return RecordingCatalog(hot.catalog, repository)


async def test_an_unsold_event_leaves_redis_and_postgres(
    catalog: RecordingCatalog,
    hot: RedisHotState,
    repository: PostgresReservationRepository,
    sale: EventSettings,
) -> None:
    await catalog.add(sale, T0)
    await hot.queue.enter(sale, "alice", T0)

    await catalog.remove(sale.event_id)

    assert await repository.event(sale.event_id) is None
    assert await catalog.get(sale.event_id) is None
    assert sale.event_id not in await catalog.event_ids()
    with pytest.raises(EventNotFound):
        await catalog.remove(sale.event_id)


async def test_a_retry_after_the_hot_state_went_removes_the_row(
    catalog: RecordingCatalog,
    hot: RedisHotState,
    repository: PostgresReservationRepository,
    sale: EventSettings,
) -> None:
    await catalog.add(sale, T0)
    # The first DELETE stopped after Redis (PostgreSQL was down, the process died).
    await hot.catalog.remove(sale.event_id)
    assert await repository.event(sale.event_id) == sale

    await catalog.remove(sale.event_id)

    assert await repository.event(sale.event_id) is None
    with pytest.raises(EventNotFound):
        await catalog.remove(sale.event_id)
    await catalog.add(sale, T0)  # the id is free again, in both stores
    assert await repository.event(sale.event_id) == sale


async def test_an_event_with_a_hold_stays_in_both(
    catalog: RecordingCatalog,
    hot: RedisHotState,
    repository: PostgresReservationRepository,
    sale: EventSettings,
) -> None:
    await catalog.add(sale, T0)
    opened = sale.opens_at_ms
    await hot.queue.enter(sale, "alice", opened)
    await hot.queue.admit(sale, opened)
    await hot.stock.reserve(sale, "alice", 1, "r-1", None, opened)

    with pytest.raises(EventHasReservations):
        await catalog.remove(sale.event_id)

    assert await catalog.get(sale.event_id) == sale
    assert await repository.event(sale.event_id) == sale


async def test_an_archived_sale_with_reservations_keeps_its_row(
    catalog: RecordingCatalog,
    hot: RedisHotState,
    repository: PostgresReservationRepository,
    sale: EventSettings,
) -> None:
    await catalog.add(sale, T0)
    await repository.apply([created(sale.event_id)])
    await forget_events(hot.client, [sale.event_id])  # what `ticketing archive` leaves

    with pytest.raises(EventHasReservations):
        await catalog.remove(sale.event_id)

    assert await repository.event(sale.event_id) == sale
