"""``/metrics`` after a few requests: the sale's gauges and counters and the route latencies."""

from __future__ import annotations

import pytest
from prometheus_client.parser import text_string_to_metric_families

from tests.api.support import Sale
from ticketing_core.service import TicketingService

pytestmark = pytest.mark.anyio

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(sale: Sale) -> tuple[str, Samples]:
    response = await sale.client.get("/metrics")
    assert response.status_code == 200
    samples = {
        (sample.name, frozenset(sample.labels.items())): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float | None:
    return samples.get((name, frozenset(labels.items())))


async def test_reservations_are_counted_by_outcome_and_the_gauges_show_the_event(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=3, maxPerUser=2, maxActiveUsers=3)
    buyers = ["buyer-ann-5f1", "buyer-bob-5f1", "buyer-cy-5f1"]
    tokens = await sale.admitted(show, *buyers)
    await sale.enter(show, "buyer-dan-5f1")  # no free slot: waits
    ann, bob, cy = (tokens[buyer] for buyer in buyers)
    answers = [
        await sale.reserve(ann, show, 2),  # reserved; ann has her limit (completed)
        await sale.reserve(bob, show, 2),  # insufficient_seats: one left
        await sale.reserve(bob, show, 1),  # reserved: the last seat
        await sale.reserve(cy, show, 1),  # sold_out
        await sale.reserve(ann, show, 1),  # limit_exceeded
    ]
    assert [answer.status_code for answer in answers] == [202, 409, 202, 409, 409]
    drivers = await sale.container.drivers.async_()
    await drivers.refresh_gauges()
    await drivers.relay_all()

    text, samples = await scrape(sale)

    reservations = {
        outcome: value(samples, "ticket_reservation_total", event=show, outcome=outcome)
        for outcome in ("reserved", "insufficient_seats", "sold_out", "limit_exceeded")
    }
    assert reservations == {
        "reserved": 2,
        "insufficient_seats": 1,
        "sold_out": 1,
        "limit_exceeded": 1,
    }
    assert value(samples, "redis_stock_remaining", event=show) == 0
    assert value(samples, "queue_waiting_users", event=show) == 1
    assert value(samples, "queue_abandoned_users", event=show) == 0
    assert value(samples, "queue_active_users", event=show) == 2  # ann completed
    created = value(samples, "messages_published_total", type="reservation.created")
    assert created == 2
    assert not any(buyer in text for buyer in [*buyers, "buyer-dan-5f1"])


async def test_route_latencies_are_labelled_by_route_template_method_and_status_class(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show)
    await sale.event(show)
    await sale.event(show)
    missing = await sale.client.get("/api/v1/events/no-such-event")
    assert missing.status_code == 404

    text, samples = await scrape(sale)

    route = "/api/v1/events/{event_id}"
    count = "http_request_duration_seconds_count"
    assert value(samples, count, method="GET", route=route, status="2xx") == 2
    assert value(samples, count, method="GET", route=route, status="4xx") == 1
    assert value(samples, count, method="POST", route="/api/v1/events", status="2xx") == 1
    infinite = value(
        samples,
        "http_request_duration_seconds_bucket",
        method="GET",
        route=route,
        status="2xx",
        le="+Inf",
    )
    assert infinite == 2
    assert "no-such-event" not in text


async def test_the_drivers_refresh_the_gauges_on_their_own(
    sale: Sale, show: str, backend: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=7)
    await sale.enter(show, "buyer-eve-5f1")
    drivers = await sale.container.drivers.async_()

    async with drivers.running():
        service: TicketingService = await sale.container.service.async_()
        await service.tick(show)
        await drivers.refresh_gauges()
        _, samples = await scrape(sale)

    assert value(samples, "redis_stock_remaining", event=show) == 7
    assert value(samples, "queue_active_users", event=show) == 1
