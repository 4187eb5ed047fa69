"""POST /api/v1/events, GET /api/v1/events and GET /api/v1/events/{eventId}."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import httpx
import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import ADMIN, unique_event_id
from ticketing_core.clock import ManualClock, to_datetime

pytestmark = pytest.mark.anyio

Client = httpx.AsyncClient


def parse_moment(text: str) -> datetime:
    assert text.endswith("Z"), text
    return datetime.fromisoformat(text)


async def test_an_admin_creates_an_event_with_the_spec_defaults(
    client: Client, clock: ManualClock
) -> None:
    response = await client.post(
        "/api/v1/events", json={"name": "Concert", "totalSeats": 500}, headers=ADMIN
    )

    assert response.status_code == 201
    event = response.json()
    assert event["eventId"]
    assert event == {
        "eventId": event["eventId"],
        "name": "Concert",
        "totalSeats": 500,
        "maxPerUser": 1,
        "opensAt": event["opensAt"],
        "admissionRatePerSecond": 100,
        "maxActiveUsers": 5_000,
        "admissionTtlSeconds": 300,
        "holdTtlSeconds": 600,
        "presenceTimeoutSeconds": 300,
        "drawAtOpening": False,
        "entryWorkBits": 0,
        "entryGrantRequired": False,
        "state": "OPEN",
    }
    assert parse_moment(event["opensAt"]) == to_datetime(clock.now_ms())


async def test_an_event_keeps_the_id_and_settings_it_was_given(client: Client) -> None:
    event_id = unique_event_id("concert-2030.06_01")
    settings = {
        "eventId": event_id,
        "name": "Concert",
        "totalSeats": 10_000_000,
        "maxPerUser": 100,
        "opensAt": "2030-06-01T18:00:00+02:00",
        "admissionRatePerSecond": 100_000,
        "maxActiveUsers": 1_000_000,
        "admissionTtlSeconds": 86_400,
        "holdTtlSeconds": 1,
        "presenceTimeoutSeconds": 86_400,
    }

    response = await client.post("/api/v1/events", json=settings, headers=ADMIN)

    assert response.status_code == 201
    event = response.json()
    assert event == {
        **settings,
        "opensAt": "2030-06-01T16:00:00Z",
        "drawAtOpening": False,
        "entryWorkBits": 0,
        "entryGrantRequired": False,
        "state": "OPEN",
    }
    assert parse_moment(event["opensAt"]) == datetime(2030, 6, 1, 16, tzinfo=UTC)


async def test_reading_an_event_shows_its_live_stats(sale: Sale) -> None:
    event_id = unique_event_id("stats")
    event = await sale.create_event(totalSeats=5, maxPerUser=2, eventId=event_id)
    tokens = await sale.admitted(event_id, "ann", "bob")
    await sale.enter(event_id, "cat")
    hold = await sale.hold(tokens["ann"], event_id, 2)
    await sale.hold(tokens["bob"], event_id, 1)
    await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm",
        headers={"X-Queue-Token": tokens["ann"]},
    )

    read = await sale.event(event_id)

    assert read == {
        **event,
        "stats": {
            "remainingSeats": 2,
            "waitingUsers": 1,
            "activeUsers": 1,
            "pendingSeats": 1,
            "confirmedSeats": 2,
            "abandonedUsers": 0,
        },
    }


async def every_page(client: Client, query: str) -> list[dict[str, Any]]:
    """The listing's pages, followed by their ``Link: rel="next"`` from ``query`` on."""
    events: list[dict[str, Any]] = []
    url: str | None = f"/api/v1/events?{query}"
    while url is not None:
        response = await client.get(url)
        assert response.status_code == 200, response.text
        events += response.json()
        assert int(response.headers["x-total-count"]) >= len(events)
        url = response.links.get("next", {}).get("url")
    return events


async def test_listing_events_shows_every_event_oldest_first_with_its_stats(sale: Sale) -> None:
    # A shared Redis may hold other runs' events too: this test looks at its own.
    first_id, second_id = unique_event_id("first"), unique_event_id("second")
    ours = {first_id, second_id}
    listed_before = await every_page(sale.client, "")
    assert not ours & {event["eventId"] for event in listed_before}
    first = await sale.create_event(eventId=first_id, totalSeats=3)
    second = await sale.create_event(eventId=second_id, totalSeats=1)
    tokens = await sale.admitted(second_id, "ann")
    await sale.hold(tokens["ann"], second_id, 1)

    listed = await every_page(sale.client, "")

    assert [event for event in listed if event["eventId"] in ours] == [
        {
            **first,
            "stats": {
                "remainingSeats": 3,
                "waitingUsers": 0,
                "activeUsers": 0,
                "pendingSeats": 0,
                "confirmedSeats": 0,
                "abandonedUsers": 0,
            },
        },
        {
            **second,
            "stats": {
                "remainingSeats": 0,
                "waitingUsers": 0,
                "activeUsers": 0,
                "pendingSeats": 1,
                "confirmedSeats": 0,
                "abandonedUsers": 0,
            },
        },
    ]


async def test_the_listing_comes_in_bounded_pages_linked_to_the_next(sale: Sale) -> None:
    ours = [unique_event_id(f"paged-{n}") for n in range(5)]
    for event_id in ours:
        await sale.create_event(eventId=event_id, totalSeats=1)

    first_page = await sale.client.get("/api/v1/events", params={"limit": 2})
    oldest_first = await every_page(sale.client, "limit=2")
    newest_first = await every_page(sale.client, "limit=2&order=newest")

    assert len(first_page.json()) == 2
    assert first_page.links["next"]["url"] == "/api/v1/events?limit=2&offset=2&order=oldest"
    total = int(first_page.headers["x-total-count"])
    assert len(oldest_first) == len(newest_first) == total >= 5
    assert [e["eventId"] for e in oldest_first if e["eventId"] in ours] == ours
    assert [e["eventId"] for e in newest_first if e["eventId"] in ours] == ours[::-1]
    last_page = await sale.client.get("/api/v1/events", params={"limit": 2, "offset": total - 1})
    assert len(last_page.json()) == 1
    assert "link" not in last_page.headers


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=501", "limit=ten", "offset=-1", "order=random"]
)
async def test_a_paging_parameter_out_of_range_is_refused(client: Client, query: str) -> None:
    response = await client.get(f"/api/v1/events?{query}")

    assert_problem(response, 400, "validation_error")


async def test_creating_an_event_needs_the_admin_key(client: Client) -> None:
    body = {"name": "Concert", "totalSeats": 5}
    for headers in (
        {},
        {"Authorization": "Bearer wrong-key"},
        {"Authorization": ADMIN["Authorization"].replace("Bearer", "Basic")},
        {"Authorization": ADMIN["Authorization"] + "x"},
    ):
        response = await client.post("/api/v1/events", json=body, headers=headers)
        assert_problem(response, 401, "unauthorized")
        assert response.headers["www-authenticate"].startswith("Bearer")


async def test_an_event_id_can_be_taken_only_once(client: Client) -> None:
    once = unique_event_id("once")
    body = {"eventId": once, "name": "Concert", "totalSeats": 5}
    assert (await client.post("/api/v1/events", json=body, headers=ADMIN)).status_code == 201

    again = await client.post("/api/v1/events", json=body, headers=ADMIN)

    assert_problem(again, 409, "event_exists")


async def test_an_unknown_event_is_not_found(client: Client) -> None:
    response = await client.get("/api/v1/events/nobody-made-this")

    assert_problem(response, 404, "event_not_found")


@pytest.mark.parametrize(
    "body",
    [
        {"totalSeats": 5},
        {"name": "", "totalSeats": 5},
        {"name": "x" * 201, "totalSeats": 5},
        {"name": "Concert", "totalSeats": 0},
        {"name": "Concert", "totalSeats": 10_000_001},
        {"name": "Concert", "totalSeats": "five"},
        {"name": "Concert", "totalSeats": "5"},
        {"name": "Concert", "totalSeats": 5, "opensAt": 0},
        {"name": "Concert", "totalSeats": True},
        {"name": "Concert", "totalSeats": None},
        {"name": ["Concert"], "totalSeats": 5},
        {"name": "Concert", "totalSeats": 5.5},
        {"name": "Concert", "totalSeats": 5, "maxPerUser": 101},
        {"name": "Concert", "totalSeats": 5, "admissionRatePerSecond": 0},
        {"name": "Concert", "totalSeats": 5, "maxActiveUsers": 1_000_001},
        {"name": "Concert", "totalSeats": 5, "admissionTtlSeconds": 86_401},
        {"name": "Concert", "totalSeats": 5, "holdTtlSeconds": -1},
        {"name": "Concert", "totalSeats": 5, "eventId": "-starts-with-a-dash"},
        {"name": "Concert", "totalSeats": 5, "eventId": "x" * 65},
        {"name": "Concert", "totalSeats": 5, "opensAt": "tomorrow"},
        {"name": "Concert", "totalSeats": 5, "opensAt": "2030-06-01T18:00:00"},
        {"name": "Concert", "totalSeats": 2**70},
        ["not", "an", "object"],
    ],
)
async def test_settings_out_of_bounds_are_a_validation_error(client: Client, body: object) -> None:
    response = await client.post("/api/v1/events", json=body, headers=ADMIN)

    assert_problem(response, 400, "validation_error")
