"""DELETE /api/v1/events/{eventId}: an operator removes a broken or test event that sold nothing.

On the memory and the Redis backend (``tests/api/conftest.py``); the row in PostgreSQL is
``tests/integration/test_event_deletion_on_the_stack.py``'s.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from tests.api.support import EVENTS, Sale, assert_problem, serving, sse_messages
from tests.support.http import ADMIN, queue_token
from tests.support.waiting import eventually
from ticketing_adapters.redis.client import open_client
from ticketing_adapters.redis.keys import EVENTS_KEY, KEY_NAMES, event_key
from ticketing_core.clock import ManualClock
from ticketing_entrypoints.bootstrap import Container, create_app
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

HOLD_TTL_SECONDS = 60


async def delete(client: httpx.AsyncClient, event_id: str, **headers: str) -> httpx.Response:
    return await client.delete(f"{EVENTS}/{event_id}", headers=headers or ADMIN)


async def listed_ids(client: httpx.AsyncClient) -> list[str]:
    response = await client.get(EVENTS, params={"limit": 500})
    assert response.status_code == 200, response.text
    return [event["eventId"] for event in response.json()]


async def test_an_unsold_event_goes_with_its_waiting_room(
    sale: Sale, show: str, settings: Settings
) -> None:
    await sale.create_event(eventId=show, maxActiveUsers=1)
    ann = (await sale.admitted(show, "ann"))["ann"]
    bob = (await sale.enter(show, "bob"))["token"]

    response = await delete(sale.client, show)

    assert response.status_code == 204
    assert response.content == b""
    assert_problem(await sale.client.get(f"{EVENTS}/{show}"), 404, "event_not_found")
    assert show not in await listed_ids(sale.client)
    # The buyers lost their places: their tokens answer as for an event that does not exist.
    for token in (ann, bob):
        status = await sale.client.get("/api/v1/queue/status", headers=queue_token(token))
        assert_problem(status, 404, "event_not_found")
        stream = await sale.client.get("/api/v1/queue/stream", params={"token": token})
        assert_problem(stream, 404, "event_not_found")
    assert_problem(await sale.reserve(ann, show), 404, "event_not_found")
    left = await sale.client.delete("/api/v1/queue", headers=queue_token(bob))
    assert_problem(left, 404, "event_not_found")
    entered = await sale.client.post("/api/v1/queue/enter", json={"eventId": show, "userId": "cat"})
    assert_problem(entered, 404, "event_not_found")
    assert_problem(await delete(sale.client, show), 404, "event_not_found")
    if settings.redis_url is not None:
        assert await keys_left(settings, show) == 0


async def test_a_deleted_id_can_be_created_again_as_a_new_sale(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, name="Broken", totalSeats=10)
    old_token = (await sale.admitted(show, "ann"))["ann"]
    assert (await delete(sale.client, show)).status_code == 204

    again = await sale.create_event(eventId=show, name="Fixed", totalSeats=3, maxPerUser=2)

    assert again["name"] == "Fixed"
    event = await sale.event(show)
    assert event["stats"] == {
        "remainingSeats": 3,
        "waitingUsers": 0,
        "activeUsers": 0,
        "pendingSeats": 0,
        "confirmedSeats": 0,
        "abandonedUsers": 0,
    }
    assert show in await listed_ids(sale.client)
    # The old token names the id, but it held a place in the deleted sale, not in this one.
    status = await sale.client.get("/api/v1/queue/status", headers=queue_token(old_token))
    assert_problem(status, 401, "invalid_token")
    tokens = await sale.admitted(show, "ann")
    assert (await sale.hold(tokens["ann"], show, 2))["quantity"] == 2


async def reservation_status(sale: Sale, token: str, reservation_id: str) -> str:
    read = await sale.client.get(f"/api/v1/tickets/{reservation_id}", headers=queue_token(token))
    assert read.status_code == 200, read.text
    status: str = read.json()["status"]
    return status


async def hold_that_ends(outcome: str, sale: Sale, event_id: str, token: str) -> str:
    """The id of a hold of the user of ``token`` that became ``outcome``."""
    reservation_id: str = (await sale.hold(token, event_id))["reservationId"]
    if outcome in ("confirmed", "cancelled"):
        verb = "confirm" if outcome == "confirmed" else "cancel"
        response = await sale.client.post(
            f"/api/v1/tickets/{reservation_id}/{verb}", headers=queue_token(token)
        )
        assert response.status_code == 200, response.text
    elif outcome == "expired":
        sale.clock.advance(HOLD_TTL_SECONDS * 1000)
        await sale.tick(event_id)
    assert await reservation_status(sale, token, reservation_id) == outcome.upper()
    return reservation_id


@pytest.mark.parametrize("outcome", ["pending", "confirmed", "cancelled", "expired"])
async def test_an_event_that_had_a_hold_is_not_deleted(sale: Sale, show: str, outcome: str) -> None:
    await sale.create_event(
        eventId=show, totalSeats=5, maxActiveUsers=1, holdTtlSeconds=HOLD_TTL_SECONDS
    )
    ann = (await sale.admitted(show, "ann"))["ann"]
    bob = (await sale.enter(show, "bob"))["token"]
    reservation_id = await hold_that_ends(outcome, sale, show, ann)
    before = (await sale.event(show), await sale.status(bob))

    refused = await delete(sale.client, show)

    assert_problem(refused, 409, "event_has_reservations")
    assert (await sale.event(show), await sale.status(bob)) == before
    assert show in await listed_ids(sale.client)
    assert await reservation_status(sale, ann, reservation_id) == outcome.upper()


@pytest.mark.parametrize(
    "headers",
    [{}, {"Authorization": "Bearer not-the-admin-key"}, {"Authorization": "Basic abc"}],
    ids=["missing", "wrong", "another-scheme"],
)
async def test_only_an_admin_deletes(sale: Sale, show: str, headers: dict[str, str]) -> None:
    await sale.create_event(eventId=show)

    response = await sale.client.delete(f"{EVENTS}/{show}", headers=headers)

    assert_problem(response, 401, "unauthorized")
    assert (await sale.event(show))["eventId"] == show


async def test_deleting_an_unknown_event_answers_404(client: httpx.AsyncClient) -> None:
    assert_problem(await delete(client, "no-such-event"), 404, "event_not_found")


async def test_the_waiting_hear_their_stream_end_when_the_event_goes(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxActiveUsers=1)
    await sale.admitted(show, "ann")
    bob = (await sale.enter(show, "bob"))["token"]
    stream = asyncio.create_task(sale.client.get("/api/v1/queue/stream", params={"token": bob}))
    hub = await sale.container.positions.async_()
    await eventually(lambda: hub.streams == 1, within=10, what="bob's stream is open")

    assert (await delete(sale.client, show)).status_code == 204

    response = await asyncio.wait_for(stream, timeout=5)
    assert [event for event, _, _ in sse_messages(response.text)] == ["position", "expired"]


async def test_a_deletion_is_logged_in_one_line(
    sale: Sale, show: str, caplog: pytest.LogCaptureFixture
) -> None:
    await sale.create_event(eventId=show)

    with caplog.at_level(logging.INFO, logger="ticketing_entrypoints.http.controllers.events"):
        assert (await delete(sale.client, show)).status_code == 204
        assert_problem(await delete(sale.client, show), 404, "event_not_found")

    lines = [r.getMessage() for r in caplog.records if r.name.endswith("controllers.events")]
    assert lines == [f"deleted event {show}"]


def allowed(response: httpx.Response) -> set[str]:
    """The methods ``Allow`` names, but HEAD: it answers wherever GET does."""
    return {method.strip() for method in response.headers["allow"].split(",")} - {"HEAD"}


async def test_options_names_the_methods_of_one_event(client: httpx.AsyncClient) -> None:
    # Litestar 2 alone would name only the first handler of the path.
    one = await client.options(f"{EVENTS}/any-event")
    every = await client.options(EVENTS)

    assert one.status_code == every.status_code == 204
    assert allowed(one) == {"DELETE", "GET", "OPTIONS", "PATCH"}
    assert allowed(every) == {"GET", "OPTIONS", "POST"}


@pytest.fixture
async def other_instance(
    settings: Settings, clock: ManualClock
) -> AsyncIterator[httpx.AsyncClient]:
    """Another API process on the same Redis: its own service, with its own settings cache."""
    assert settings.redis_url is not None, "instances share Redis, never a process's memory"
    container = Container()
    container.clock.override(providers.Object(clock))
    async with serving(create_app(settings, container)) as client:
        yield client


async def keys_left(settings: Settings, event_id: str) -> int:
    """How many of the event's keys, and of its registry entry, Redis holds."""
    assert settings.redis_url is not None
    redis = open_client(settings.redis_url, cluster=False)
    try:
        keys = await redis.exists(*(event_key(event_id, name) for name in KEY_NAMES))
        registered = await redis.zscore(EVENTS_KEY, event_id) is not None
    finally:
        await redis.aclose()
    return int(keys) + int(registered)


# Only Redis: the memory backend lives in one process, so there is no other instance.
@pytest.mark.parametrize("backend", ["redis"])
async def test_another_instance_that_cached_the_event_answers_404_and_makes_nothing(
    sale: Sale, show: str, other_instance: httpx.AsyncClient, settings: Settings
) -> None:
    await sale.create_event(eventId=show, maxActiveUsers=1)
    ann = (await sale.admitted(show, "ann"))["ann"]
    # The other instance reads the event, which caches its settings there.
    assert (await other_instance.get(f"{EVENTS}/{show}")).status_code == 200
    entered = await other_instance.post(
        "/api/v1/queue/enter", json={"eventId": show, "userId": "bob"}
    )
    bob = entered.json()["token"]

    assert (await delete(sale.client, show)).status_code == 204

    other = other_instance
    # Its first call since runs on the settings it cached, straight into Redis's scripts.
    cat = {"eventId": show, "userId": "cat"}
    assert_problem(await other.post("/api/v1/queue/enter", json=cat), 404, "event_not_found")
    assert await keys_left(settings, show) == 0, "an enter must not bring the event back"
    for token in (ann, bob):
        status = await other.get("/api/v1/queue/status", headers=queue_token(token))
        assert_problem(status, 404, "event_not_found")
    reserve = await other.post(
        "/api/v1/tickets/reserve",
        json={"eventId": show, "quantity": 1},
        headers=queue_token(ann),
    )
    assert_problem(reserve, 404, "event_not_found")
    assert_problem(await other.get(f"{EVENTS}/{show}"), 404, "event_not_found")
    assert show not in await listed_ids(other)
    assert await keys_left(settings, show) == 0

    # Created again through the first instance: the other one serves the new sale.
    await sale.create_event(eventId=show, name="Again", totalSeats=2)
    again = await other.get(f"{EVENTS}/{show}")
    assert again.json()["name"] == "Again"
    assert again.json()["stats"]["remainingSeats"] == 2
