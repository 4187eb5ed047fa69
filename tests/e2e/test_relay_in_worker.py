"""The outbox relay off the API: ``TICKETING_API_RELAY=false`` on the API, ``ticketing worker
--relay`` beside it. Every hold and every later fate still reach PostgreSQL, through the
worker's relay alone."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest

from tests.e2e.support import Shop, Stack, stored
from tests.support.http import unique_event_id
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

BUYERS = 40
SEATS = 30


@pytest.fixture
async def relaying_shop(stack_relaying_in_worker: Stack) -> AsyncIterator[Shop]:
    async with Shop.of(stack_relaying_in_worker) as shop:
        yield shop


async def test_the_worker_relays_what_the_api_no_longer_does(
    stack_relaying_in_worker: Stack, relaying_shop: Shop
) -> None:
    stack, shop = stack_relaying_in_worker, relaying_shop
    api_log = (stack.logs / "api.log").read_text()
    assert "jobs: tick, gauges" in api_log, api_log[-2000:]
    event_id = unique_event_id("relay-in-worker")
    await shop.create_event(event_id, totalSeats=SEATS, admissionRatePerSecond=1_000)

    async def buy(n: int) -> tuple[str, str, int]:
        token = await shop.enter(event_id, f"buyer-{n}")
        await shop.admitted(token)
        response = await shop.reserve(token, event_id)
        return token, response.json().get("reservationId", ""), response.status_code

    bought = await asyncio.gather(*(buy(n) for n in range(BUYERS)))
    holds = {id_: token for token, id_, status in bought if status == 202}
    assert len(holds) == SEATS
    confirmed = sorted(holds)[:10]
    for id_ in confirmed:
        await shop.move(holds[id_], id_, "confirm")
    fates = {id_: "CONFIRMED" if id_ in confirmed else "PENDING" for id_ in holds}

    async def every_fate_in_postgres() -> bool:
        rows = await stored(stack.record, event_id)
        return {id_: row.status.value for id_, row in rows.items()} == fates

    await eventually(every_fate_in_postgres, within=60)
    assert "relaying the outbox" in (stack.logs / "worker-0.log").read_text()
