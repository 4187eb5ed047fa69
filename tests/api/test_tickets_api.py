"""Holds over HTTP: reserve, read, confirm, cancel, expire; never oversold."""

from __future__ import annotations

import asyncio
from collections import Counter
from datetime import datetime

import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import queue_token, unique_event_id
from ticketing_core.clock import to_datetime

pytestmark = pytest.mark.anyio


async def test_an_admitted_user_holds_seats_until_the_hold_ttl(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxPerUser=4, holdTtlSeconds=120)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await sale.reserve(token, show, quantity=3)

    assert response.status_code == 202
    hold = response.json()
    assert hold == {
        "reservationId": hold["reservationId"],
        "status": "PENDING",
        "quantity": 3,
        "expiresAt": hold["expiresAt"],
    }
    expires_at = datetime.fromisoformat(hold["expiresAt"])
    assert expires_at == to_datetime(sale.clock.now_ms() + 120_000)
    stats = (await sale.event(show))["stats"]
    assert (stats["remainingSeats"], stats["pendingSeats"]) == (7, 3)


async def test_300_buyers_at_once_for_100_seats_get_exactly_100_holds(sale: Sale) -> None:
    rush = unique_event_id("rush")
    await sale.create_event(
        eventId=rush, totalSeats=100, maxActiveUsers=300, admissionRatePerSecond=1_000
    )
    tokens = await sale.admitted(rush, *(f"buyer-{n}" for n in range(300)))

    responses = await asyncio.gather(*(sale.reserve(token, rush) for token in tokens.values()))

    outcomes = Counter(
        (r.status_code, r.json().get("code") if r.status_code == 409 else None) for r in responses
    )
    assert outcomes == {(202, None): 100, (409, "sold_out"): 200}
    stats = (await sale.event(rush))["stats"]
    assert (stats["remainingSeats"], stats["pendingSeats"]) == (0, 100)


async def test_the_same_idempotency_key_answers_the_same_hold(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxPerUser=4)
    token = (await sale.admitted(show, "ann"))["ann"]

    first = await sale.reserve(token, show, quantity=2, idempotency_key="order-1")
    again = await sale.reserve(token, show, quantity=2, idempotency_key="order-1")
    other = await sale.reserve(token, show, quantity=2, idempotency_key="order-2")

    assert (first.status_code, again.status_code, other.status_code) == (202, 202, 202)
    assert again.json() == first.json()
    assert other.json()["reservationId"] != first.json()["reservationId"]
    assert (await sale.event(show))["stats"]["pendingSeats"] == 4


async def test_an_idempotency_key_longer_than_255_characters_is_refused(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await sale.reserve(token, show, idempotency_key="k" * 256)

    assert_problem(response, 400, "validation_error")


async def test_only_admitted_users_may_reserve(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxActiveUsers=1, admissionTtlSeconds=10)
    admitted = (await sale.admitted(show, "ann"))["ann"]
    waiting = (await sale.enter(show, "bob"))["token"]

    assert_problem(await sale.reserve(waiting, show), 403, "not_admitted")

    sale.clock.advance(10_000)
    assert_problem(await sale.reserve(admitted, show), 403, "not_admitted")


async def test_asking_for_more_seats_than_are_left_or_allowed_is_a_conflict(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=3, maxPerUser=5)
    tokens = await sale.admitted(show, "ann", "bob")

    assert_problem(await sale.reserve(tokens["ann"], show, 6), 409, "limit_exceeded")
    assert_problem(await sale.reserve(tokens["ann"], show, 4), 409, "insufficient_seats")
    await sale.hold(tokens["ann"], show, 3)
    assert_problem(await sale.reserve(tokens["bob"], show, 1), 409, "sold_out")
    assert_problem(await sale.reserve(tokens["ann"], show, 3), 409, "limit_exceeded")


async def test_a_user_at_their_limit_is_refused_more(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxPerUser=1)
    token = (await sale.admitted(show, "ann"))["ann"]
    await sale.hold(token, show)

    assert_problem(await sale.reserve(token, show), 409, "limit_exceeded")


@pytest.mark.parametrize(
    "body",
    [
        {"eventId": "show"},
        {"eventId": "show", "quantity": 0},
        {"eventId": "show", "quantity": 101},
        {"eventId": "show", "quantity": "one"},
        {"eventId": "show", "quantity": "1"},
        {"quantity": 1},
        "not an object",
    ],
)
async def test_a_malformed_reserve_is_a_validation_error(
    sale: Sale, body: object, show: str
) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await sale.client.post(
        "/api/v1/tickets/reserve", json=body, headers=queue_token(token)
    )

    assert_problem(response, 400, "validation_error")


async def test_a_hold_is_readable_by_its_owner_right_after_the_202(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxPerUser=2, holdTtlSeconds=600)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show, 2)

    response = await sale.client.get(
        f"/api/v1/tickets/{hold['reservationId']}", headers=queue_token(token)
    )

    assert response.status_code == 200
    assert response.json() == {
        "reservationId": hold["reservationId"],
        "eventId": show,
        "userId": "ann",
        "quantity": 2,
        "status": "PENDING",
        "createdAt": response.json()["createdAt"],
        "expiresAt": hold["expiresAt"],
    }
    created = datetime.fromisoformat(response.json()["createdAt"])
    assert created == to_datetime(sale.clock.now_ms())


async def test_another_users_reservation_is_not_found(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    tokens = await sale.admitted(show, "ann", "bob")
    hold = await sale.hold(tokens["ann"], show)
    path = f"/api/v1/tickets/{hold['reservationId']}"
    bob = queue_token(tokens["bob"])

    assert_problem(await sale.client.get(path, headers=bob), 404, "reservation_not_found")
    confirm = await sale.client.post(f"{path}/confirm", headers=bob)
    assert_problem(confirm, 404, "reservation_not_found")
    cancel = await sale.client.post(f"{path}/cancel", headers=bob)
    assert_problem(cancel, 404, "reservation_not_found")
    unknown = await sale.client.get("/api/v1/tickets/no-such-id", headers=bob)
    assert_problem(unknown, 404, "reservation_not_found")


async def test_confirming_a_hold_makes_it_final(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show)
    path = f"/api/v1/tickets/{hold['reservationId']}"

    confirmed = await sale.client.post(f"{path}/confirm", headers=queue_token(token))
    again = await sale.client.post(f"{path}/confirm", headers=queue_token(token))
    cancel = await sale.client.post(f"{path}/cancel", headers=queue_token(token))

    assert confirmed.status_code == again.status_code == 200
    assert confirmed.json()["status"] == "CONFIRMED"
    assert_problem(cancel, 409, "invalid_state")
    stats = (await sale.event(show))["stats"]
    assert (stats["remainingSeats"], stats["confirmedSeats"]) == (9, 1)


async def test_cancelling_a_hold_puts_its_seats_back_on_sale(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxPerUser=3)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show, 3)
    path = f"/api/v1/tickets/{hold['reservationId']}"

    cancelled = await sale.client.post(f"{path}/cancel", headers=queue_token(token))
    confirm = await sale.client.post(f"{path}/confirm", headers=queue_token(token))

    assert cancelled.status_code == 200
    assert cancelled.json()["status"] == "CANCELLED"
    assert_problem(confirm, 409, "invalid_state")
    stats = (await sale.event(show))["stats"]
    assert (stats["remainingSeats"], stats["pendingSeats"]) == (10, 0)


async def test_an_expired_hold_gives_its_seats_back_and_cannot_be_confirmed(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=2, maxPerUser=2, holdTtlSeconds=60)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show, 2)
    path = f"/api/v1/tickets/{hold['reservationId']}"
    assert (await sale.event(show))["stats"]["remainingSeats"] == 0

    sale.clock.advance(60_000)
    await sale.tick(show)

    read = await sale.client.get(path, headers=queue_token(token))
    assert read.json()["status"] == "EXPIRED"
    stats = (await sale.event(show))["stats"]
    assert (stats["remainingSeats"], stats["pendingSeats"]) == (2, 0)
    confirm = await sale.client.post(f"{path}/confirm", headers=queue_token(token))
    assert_problem(confirm, 409, "hold_expired")
    cancel = await sale.client.post(f"{path}/cancel", headers=queue_token(token))
    assert_problem(cancel, 409, "invalid_state")


async def test_confirming_too_late_is_refused_even_before_the_expiry_driver_runs(
    sale: Sale,
    show: str,
) -> None:
    await sale.create_event(eventId=show, holdTtlSeconds=60)
    token = (await sale.admitted(show, "ann"))["ann"]
    hold = await sale.hold(token, show)

    sale.clock.advance(60_000)
    confirm = await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm", headers=queue_token(token)
    )

    assert_problem(confirm, 409, "hold_expired")
    assert (await sale.event(show))["stats"]["remainingSeats"] == 10
