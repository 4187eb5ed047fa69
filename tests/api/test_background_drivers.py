"""Admissions, hold expiry and the outbox relay run on their own, and outlive failures."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import pytest

from tests.api.support import Sale
from tests.support.http import queue_token
from tests.support.waiting import eventually
from ticketing_core.clock import ManualClock, to_datetime
from ticketing_core.messages import Message
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import memory_backends
from ticketing_entrypoints.bootstrap import Container, bootstrapped
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


POLL_SECONDS = 0.01
"""The drivers change things on their own schedule, not the test's: the test polls."""
WITHIN = 3.0


IDLE_INTERVAL = 0.5
FAST_ROUNDS = {
    "tick_interval_seconds": 0.01,
    "relay_interval_seconds": 0.01,
    "metrics_interval_seconds": 0.01,
    "idle_interval_seconds": IDLE_INTERVAL,
}


@pytest.fixture
def settings(settings: Settings) -> Settings:
    return settings.model_copy(update={"drivers": True, **FAST_ROUNDS})


async def quiet(container: Container, event_id: str) -> None:
    """Waits until the drivers have found the sale quiet (and visit it only now and then)."""
    schedule = container.schedule()

    async def found_quiet() -> bool:
        return schedule.is_quiet(event_id)

    await eventually(found_quiet, within=WITHIN, every=POLL_SECONDS)


async def test_a_quiet_sale_is_driven_again_the_moment_someone_enters_here(
    sale: Sale, container: Container, show: str
) -> None:
    await sale.create_event(eventId=show)
    await quiet(container, show)
    # An entry racing the round that found the sale quiet still wakes it: the wake clears the
    # quiet readings, and one stale reading after it is not enough to make the sale quiet.
    token = (await sale.enter(show, "ann"))["token"]

    async def admitted() -> bool:
        return bool((await sale.status(token))["status"] == "ADMITTED")

    await eventually(admitted, within=IDLE_INTERVAL / 2, every=POLL_SECONDS)


async def test_a_quiet_sale_changed_through_another_instance_is_driven_within_the_idle_interval(
    sale: Sale, container: Container, show: str
) -> None:
    await sale.create_event(eventId=show)
    await quiet(container, show)
    shared = await container.backends.async_()
    quiet_instance = Settings().model_copy(update={"drivers": False})
    async with bootstrapped(quiet_instance, clock=sale.clock, backends=shared) as another:
        another_instance = another.service()
        await another_instance.enter(show, "ann")

        async def admitted() -> bool:
            return (await another_instance.queue_status(show, "ann")).status == "ADMITTED"

        await eventually(admitted, within=3 * IDLE_INTERVAL, every=POLL_SECONDS)


async def test_users_are_admitted_and_holds_expire_without_anyone_ticking(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, holdTtlSeconds=60)
    token = (await sale.enter(show, "ann"))["token"]

    async def admitted() -> bool:
        return bool((await sale.status(token))["status"] == "ADMITTED")

    await eventually(admitted, within=WITHIN, every=POLL_SECONDS)
    hold = await sale.hold(token, show)
    sale.clock.advance(60_000)

    async def expired() -> bool:
        path = f"/api/v1/tickets/{hold['reservationId']}"
        read = await sale.client.get(path, headers=queue_token(token))
        return bool(read.json()["status"] == "EXPIRED")

    await eventually(expired, within=WITHIN, every=POLL_SECONDS)
    assert (await sale.event(show))["stats"]["remainingSeats"] == 10


async def test_every_reservation_change_is_relayed_to_the_record(
    sale: Sale, container: Container, show: str
) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show)
    path = f"/api/v1/tickets/{hold['reservationId']}/confirm"
    await sale.client.post(path, headers=queue_token(token))
    backends = await container.backends.async_()
    assert backends.durable_record is not None
    archive = backends.durable_record

    async def recorded() -> bool:
        found = await archive.get(hold["reservationId"])
        return found is not None and found.status == "CONFIRMED"

    await eventually(recorded, within=WITHIN, every=POLL_SECONDS)


class FlakyBus:
    """An event bus that is down for its first ``outages`` publishes."""

    def __init__(self, outages: int) -> None:
        self.outages = outages
        self.delivered: list[Message] = []

    async def publish(self, messages: Sequence[Message]) -> None:
        if self.outages:
            self.outages -= 1
            raise ConnectionError("the bus is down")
        self.delivered.extend(messages)


async def test_the_relay_keeps_going_after_the_bus_fails(clock: ManualClock) -> None:
    bus = FlakyBus(outages=3)
    settings = Settings().model_copy(update={"drivers": True, **FAST_ROUNDS})
    on_a_flaky_bus = replace(memory_backends(), bus=bus)
    async with bootstrapped(settings, clock=clock, backends=on_a_flaky_bus) as container:
        service = container.service()
        opens_at = to_datetime(clock.now_ms())
        await service.create_event(
            EventSettings(event_id="show", name="Show", total_seats=5, opens_at=opens_at)
        )
        await service.enter("show", "ann")

        async def admitted() -> bool:
            return (await service.queue_status("show", "ann")).status == "ADMITTED"

        async def delivered() -> bool:
            return bool(bus.delivered)

        async with container.drivers().running():
            await eventually(admitted, within=WITHIN, every=POLL_SECONDS)
            await service.reserve("show", "ann", 1)
            await eventually(delivered, within=WITHIN, every=POLL_SECONDS)

    assert [message.type for message in bus.delivered] == ["reservation.created"]
