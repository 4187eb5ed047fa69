"""What the composition root gets for the real stack: bus, archive, probes, and events
recorded in PostgreSQL before they go on sale."""

from __future__ import annotations

import pytest

from adapters.memory import MemoryEventCatalog, MemorySales
from entrypoints.persistence import ArchivingCatalog, open_persistence
from entrypoints.settings import Settings
from tests.integration.stack_helpers import T0, created, event_settings
from ticketing_core.errors import EventExists

pytestmark = [pytest.mark.anyio, pytest.mark.stack]


async def test_opened_persistence_answers_its_probes_and_publishes(
    stack_settings: Settings,
) -> None:
    async with open_persistence(stack_settings, migrate_first=True) as persistence:
        for probe in persistence.probes.values():
            await probe()
        await persistence.bus.publish([created()])

    assert set(persistence.probes) == {"postgres", "kafka"}


async def test_a_new_event_is_in_postgres_before_it_is_on_sale(
    stack_settings: Settings,
) -> None:
    settings = event_settings()
    async with open_persistence(stack_settings) as persistence:
        catalog = ArchivingCatalog(MemoryEventCatalog(MemorySales()), persistence.archive)

        await catalog.add(settings, T0)
        with pytest.raises(EventExists):
            await catalog.add(event_settings(total_seats=7), T0)

        assert await persistence.archive.event(settings.event_id) == settings
        assert await catalog.get(settings.event_id) == settings
        assert await catalog.event_ids() == [settings.event_id]
