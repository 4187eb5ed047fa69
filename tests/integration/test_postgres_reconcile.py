"""``ticketing reconcile``: Redis checked against PostgreSQL, and rebuilt from it after Redis
lost an event's data; ``ticketing archive``: a finished sale leaves Redis."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

import pytest

from ticketing_adapters.memory import MemoryEventBus
from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_adapters.redis import RedisHotState, open_redis_hot_state
from ticketing_adapters.redis.keys import EVENTS_KEY, event_key
from ticketing_core.codes import code_digest
from ticketing_core.errors import CodeExists, InvalidCode, LimitExceeded
from ticketing_core.model import ReservationStatus, StockStats
from ticketing_core.settings import EventSettings, Presale
from ticketing_entrypoints.backends import redis_backends
from ticketing_entrypoints.bootstrap import Container, bootstrapped, open_stored_state
from ticketing_entrypoints.cli import archive as archive_command
from ticketing_entrypoints.cli import reconcile as reconcile_command
from ticketing_entrypoints.ops.archive import NotArchived, archive
from ticketing_entrypoints.ops.reconcile import NotDrained, reconcile
from ticketing_entrypoints.settings import Settings
from ticketing_entrypoints.stream_and_record import RecordingCatalog

pytestmark = pytest.mark.anyio

SEATS = 50
LIMIT = 3


class Sale:
    """One event on the real Redis hot state whose changes reach PostgreSQL through the
    outbox, as the relay and the worker carry them (the bus here writes the record directly)."""

    def __init__(
        self,
        root: Container,
        hot: RedisHotState,
        repository: PostgresReservationRepository,
        event_id: str,
        admission_ttl_seconds: int = 300,
    ):
        self.root = root
        self.hot = hot
        self.repository = repository
        self.event_id = event_id
        self.service = root.service()
        self._relay = root.relay()
        self.settings = EventSettings(
            event_id=event_id,
            name="Reconcile",
            total_seats=SEATS,
            max_per_user=LIMIT,
            opens_at=datetime.now(UTC),
            admission_rate_per_second=1_000,
            admission_ttl_seconds=admission_ttl_seconds,
        )

    async def open(self) -> None:
        """Recorded in PostgreSQL first, as the API's catalog does it."""
        await self.service.create_event(self.settings)

    async def buy(self, user: str, quantity: int) -> str:
        await self.service.enter(self.event_id, user)
        await self.service.tick(self.event_id)
        held = await self.service.reserve(self.event_id, user, quantity)
        return held.reservation_id

    async def drain(self) -> None:
        while await self._relay.relay(self.event_id):
            pass

    async def forget(self) -> None:
        """Redis loses everything it knew about the event."""
        client = self.hot.client
        keys = [key async for key in client.scan_iter(match=f"{{{self.event_id}}}:*")]
        if keys:
            await client.delete(*keys)
        await client.zrem(EVENTS_KEY, self.event_id)


@asynccontextmanager
async def opened_sale(
    redis_url: str,
    repository: PostgresReservationRepository,
    event_id: str,
    presale: Presale | None = None,
) -> AsyncIterator[Sale]:
    """The sale on the stack's Redis, its codes recorded as the API records them."""
    hot = await open_redis_hot_state(redis_url)
    bus = MemoryEventBus()
    bus.subscribe(repository.apply)
    recording = RecordingCatalog(hot.catalog, repository)
    try:
        async with bootstrapped(
            backends=redis_backends(hot, bus, repository, catalog=recording)
        ) as root:
            sale = Sale(root, hot, repository, event_id)
            if presale is not None:
                opens_at = presale.closes_at + timedelta(hours=1)
                sale.settings = sale.settings.model_copy(
                    update={"opens_at": opens_at, "presale": presale}
                )
            await sale.open()
            yield sale
            await sale.forget()
    finally:
        await hot.close()


@pytest.fixture
async def sale(
    stack_redis_url: str, repository: PostgresReservationRepository, run_id: str
) -> AsyncIterator[Sale]:
    async with opened_sale(stack_redis_url, repository, f"rc-{run_id}") as sale:
        yield sale


async def check(sale: Sale, url: str, redis_url: str, *, repair: bool = False) -> list[str]:
    async with open_stored_state(Settings(database_url=url, redis_url=redis_url)) as stored:
        before, after = await reconcile(sale.event_id, stored, repair=repair)
    return (after or before).drift


async def sell_some(sale: Sale) -> dict[str, str]:
    """Holds, confirmations and a cancellation, all relayed to PostgreSQL."""
    service, event = sale.service, sale.event_id
    ids = {user: await sale.buy(user, quantity) for user, quantity in [("ann", 2), ("bob", 3)]}
    ids["cy"] = await sale.buy("cy", 1)
    ids["dee"] = await sale.buy("dee", 2)
    await service.confirm(event, "bob", ids["bob"])
    await service.cancel(event, "dee", ids["dee"])
    await sale.drain()
    return ids


async def test_a_drained_event_agrees_and_injected_drift_is_found_and_repaired(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    await sell_some(sale)
    assert await check(sale, migrated_url, stack_redis_url) == []

    await sale.hot.client.hincrby(event_key(sale.event_id, "stock"), "remaining", 5)

    assert await check(sale, migrated_url, stack_redis_url) == [
        "remaining seats: Redis 49, PostgreSQL 44"
    ]
    assert await check(sale, migrated_url, stack_redis_url, repair=True) == []
    assert await sale.hot.stock.stats(sale.settings) == StockStats(44, 3, 3)


async def test_after_redis_lost_the_event_repair_rebuilds_seats_holds_and_limits(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    ids = await sell_some(sale)
    await sale.forget()
    assert await check(sale, migrated_url, stack_redis_url) == ["the event is missing from Redis"]

    assert await check(sale, migrated_url, stack_redis_url, repair=True) == []

    service, event = sale.service, sale.event_id
    assert await sale.hot.stock.stats(sale.settings) == StockStats(SEATS - 6, 3, 3)
    assert event in await sale.hot.catalog.event_ids()
    for reservation in await sale.repository.reservations_of(event):
        assert await sale.hot.stock.get(event, reservation.reservation_id) == reservation
    # The rules go on from the rebuilt state: ann's hold confirms, bob (3 confirmed) is at the
    # limit, dee (cancelled) may buy again, and seats held or sold are not sold twice.
    confirmed = await service.confirm(event, "ann", ids["ann"])
    assert confirmed.status is ReservationStatus.CONFIRMED
    await service.enter(event, "bob")
    await service.tick(event)
    with pytest.raises(LimitExceeded):
        await service.reserve(event, "bob", 1)
    await sale.buy("dee", 3)
    await sale.drain()
    assert await sale.hot.stock.stats(sale.settings) == StockStats(SEATS - 9, 4, 5)
    assert await check(sale, migrated_url, stack_redis_url) == []


async def test_repair_is_refused_while_the_outbox_holds_messages_postgres_has_not_seen(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    await sale.buy("ann", 2)  # recorded in the outbox, not relayed

    assert await check(sale, migrated_url, stack_redis_url) == [
        "remaining seats: Redis 48, PostgreSQL 50",
        "pending seats: Redis 2, PostgreSQL 0",
    ]
    with pytest.raises(NotDrained):
        await check(sale, migrated_url, stack_redis_url, repair=True)


async def test_the_command_exits_0_when_consistent_1_on_drift_and_2_for_an_unknown_event(
    sale: Sale, migrated_url: str, stack_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETING_DATABASE_URL", migrated_url)
    monkeypatch.setenv("TICKETING_REDIS_URL", stack_redis_url)

    def command(event_id: str, repair: bool = False) -> int:
        return reconcile_command.run(argparse.Namespace(event=event_id, repair=repair))

    await sell_some(sale)
    assert await asyncio.to_thread(command, sale.event_id) == 0
    await sale.forget()
    assert await asyncio.to_thread(command, sale.event_id) == 1
    assert await asyncio.to_thread(command, sale.event_id, True) == 0
    assert await asyncio.to_thread(command, sale.event_id) == 0
    assert await asyncio.to_thread(command, "no-such-event") == 2


async def finish(sale: Sale) -> dict[str, str]:
    """A sale that is over: one buyer confirmed, one cancelled, both at their limit (so no
    longer admitted), everything relayed to PostgreSQL."""
    service, event = sale.service, sale.event_id
    ids = {user: await sale.buy(user, LIMIT) for user in ("ann", "bob")}
    await service.confirm(event, "ann", ids["ann"])
    await service.cancel(event, "bob", ids["bob"])
    await sale.drain()
    return ids


async def archive_sale(sale: Sale, url: str, redis_url: str) -> None:
    async with open_stored_state(Settings(database_url=url, redis_url=redis_url)) as stored:
        await archive(sale.event_id, stored)


async def keys_of(sale: Sale) -> list[str]:
    return [key async for key in sale.hot.client.scan_iter(match=f"{{{sale.event_id}}}:*")]


async def test_a_finished_sale_leaves_redis_and_its_reservations_stay_readable(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    ids = await finish(sale)

    await archive_sale(sale, migrated_url, stack_redis_url)

    assert await keys_of(sale) == []
    assert sale.event_id not in await sale.hot.catalog.event_ids()
    kept = await sale.service.reservation(sale.event_id, "ann", ids["ann"])
    assert kept.status is ReservationStatus.CONFIRMED
    # And it can come back.
    assert await check(sale, migrated_url, stack_redis_url, repair=True) == []
    assert await sale.hot.stock.stats(sale.settings) == StockStats(SEATS - LIMIT, 0, LIMIT)


async def test_a_sale_with_seats_held_or_buyers_admitted_stays(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    await sale.buy("ann", 1)
    await sale.drain()

    with pytest.raises(NotArchived, match="not over: 0 waiting, 1 admitted, 1 seats held"):
        await archive_sale(sale, migrated_url, stack_redis_url)

    assert await sale.hot.stock.stats(sale.settings) == StockStats(SEATS - 1, 1, 0)
    assert sale.event_id in await sale.hot.catalog.event_ids()


async def test_an_admission_that_ran_out_unswept_does_not_keep_a_sale_in_redis(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    brief = Sale(
        sale.root, sale.hot, sale.repository, f"{sale.event_id}-brief", admission_ttl_seconds=1
    )
    await brief.open()
    try:
        await brief.service.enter(brief.event_id, "ann")
        await brief.service.tick(brief.event_id)  # admitted for a second; no tick after it
        # The admission's second runs on the wall clock, which a slow machine cannot slow.
        await asyncio.sleep(1.2)

        await archive_sale(brief, migrated_url, stack_redis_url)

        assert await keys_of(brief) == []
    finally:
        await brief.forget()


async def test_a_sale_whose_messages_are_not_relayed_yet_stays(
    sale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    await finish(sale)
    await sale.buy("cy", LIMIT)  # at the limit: no longer admitted; its hold not relayed

    with pytest.raises(NotArchived, match="not relayed yet"):
        await archive_sale(sale, migrated_url, stack_redis_url)

    assert await keys_of(sale) != []


async def test_the_archive_command_exits_0_archived_1_not_now_2_unknown(
    sale: Sale, migrated_url: str, stack_redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TICKETING_DATABASE_URL", migrated_url)
    monkeypatch.setenv("TICKETING_REDIS_URL", stack_redis_url)

    def command(event_id: str) -> int:
        return archive_command.run(argparse.Namespace(event=event_id))

    hold = await sale.buy("ann", 1)
    await sale.drain()
    assert await asyncio.to_thread(command, sale.event_id) == 1
    await sale.service.cancel(sale.event_id, "ann", hold)
    await sale.service.leave(sale.event_id, "ann")
    await sale.drain()
    assert await asyncio.to_thread(command, sale.event_id) == 0
    assert await asyncio.to_thread(command, "no-such-event") == 2


@pytest.fixture
async def presale(
    stack_redis_url: str, repository: PostgresReservationRepository, run_id: str
) -> AsyncIterator[Sale]:
    """A sale whose presale runs now (for an hour)."""
    now = datetime.now(UTC)
    window = Presale(opens_at=now, closes_at=now + timedelta(hours=1))
    async with opened_sale(stack_redis_url, repository, f"rcp-{run_id}", window) as sale:
        yield sale


async def test_code_uses_are_reconciled_and_rebuilt_from_postgres(
    presale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    service, event = presale.service, presale.event_id
    issued = await service.add_codes(event, ["fanclub-aaaa", "fanclub-bbbb"], max_uses=3)
    for user in ("ann", "bob"):
        await service.enter(event, user, "fanclub-aaaa")
    await service.enter(event, "cy", "fanclub-bbbb")
    await presale.drain()
    assert await check(presale, migrated_url, stack_redis_url) == []

    code_id = issued[0].code_id
    # Redis forgets the code's two uses.
    await presale.hot.client.hset(event_key(event, "codes"), issued[0].digest, "1|3|0|")
    assert await check(presale, migrated_url, stack_redis_url) == [
        f"uses of code {code_id}: Redis 0, PostgreSQL 2"
    ]
    assert await check(presale, migrated_url, stack_redis_url, repair=True) == []
    await presale.forget()
    assert await check(presale, migrated_url, stack_redis_url, repair=True) == []
    rebuilt = await presale.hot.catalog.get(event)
    assert rebuilt is not None
    assert rebuilt.presale == presale.settings.presale, "the presale comes back with the sale"
    assert [c.uses for c in await service.codes(event)] == [2, 1]
    await service.enter(event, "dee", "fanclub-aaaa")
    with pytest.raises(InvalidCode):
        await service.enter(event, "eve", "fanclub-aaaa")  # the rebuilt count holds


async def test_a_refused_batch_of_codes_leaves_the_record_as_it_was(
    presale: Sale, migrated_url: str, stack_redis_url: str
) -> None:
    service, event = presale.service, presale.event_id
    await service.add_codes(event, ["fanclub-aaaa"], max_uses=1)

    with pytest.raises(CodeExists):
        await service.add_codes(event, ["fanclub-zzzz", "fanclub-aaaa"], max_uses=1)

    recorded = await presale.repository.codes_of(event)
    assert [c.code.digest for c in recorded] == [code_digest(event, "fanclub-aaaa")]
    assert await check(presale, migrated_url, stack_redis_url) == []
