"""Seat categories over HTTP, on both backends: each category its own seats and per-user limit,
a reserve of several at once all or nothing, stats and sold out per category."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import ADMIN, queue_token

pytestmark = pytest.mark.anyio

FLOOR = {"categoryId": "floor", "name": "Floor", "seats": 4, "maxPerUser": 2, "price": 9900}
STANDS = {"categoryId": "stands", "name": "Stands", "seats": 3, "maxPerUser": 3, "price": 4900}


async def two_category_sale(sale: Sale, event_id: str, **fields: Any) -> dict[str, Any]:
    body = {"eventId": event_id, "name": "Two tiers", "categories": [FLOOR, STANDS], **fields}
    response = await sale.client.post("/api/v1/events", json=body, headers=ADMIN)
    assert response.status_code == 201, response.text
    event: dict[str, Any] = response.json()
    return event


async def reserve(sale: Sale, token: str, event_id: str, **body: Any) -> Any:
    return await sale.client.post(
        "/api/v1/tickets/reserve", json={"eventId": event_id, **body}, headers=queue_token(token)
    )


def by_category(event: dict[str, Any]) -> dict[str, tuple[int, int, int]]:
    return {
        c["categoryId"]: (c["remainingSeats"], c["pendingSeats"], c["confirmedSeats"])
        for c in event["stats"]["categories"]
    }


async def test_a_sale_with_categories_has_their_seats_and_limits(sale: Sale, show: str) -> None:
    created = await two_category_sale(sale, show)

    assert created["totalSeats"] == 7
    assert created["maxPerUser"] == 5, "the sum of the categories' limits"
    assert created["categories"] == [FLOOR, STANDS]
    event = await sale.event(show)
    assert by_category(event) == {"floor": (4, 0, 0), "stands": (3, 0, 0)}


async def test_a_sale_without_categories_shows_none(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]

    hold = await sale.hold(token, show)

    event = await sale.event(show)
    assert "categories" not in event
    assert "categories" not in event["stats"]
    assert "items" not in hold


async def test_seats_of_several_categories_are_held_at_once(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await reserve(
        sale,
        token,
        show,
        items=[{"categoryId": "stands", "quantity": 2}, {"categoryId": "floor", "quantity": 1}],
    )

    assert response.status_code == 202, response.text
    hold = response.json()
    assert hold["quantity"] == 3
    assert hold["items"] == [
        {"categoryId": "floor", "quantity": 1},
        {"categoryId": "stands", "quantity": 2},
    ], "in the sale's order"
    assert by_category(await sale.event(show)) == {"floor": (3, 1, 0), "stands": (1, 2, 0)}
    found = await sale.client.get(
        f"/api/v1/tickets/{hold['reservationId']}", headers=queue_token(token)
    )
    assert found.json()["items"] == hold["items"]


async def test_one_category_short_takes_nothing_of_any(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show)
    tokens = await sale.admitted(show, "ann", "bob")
    taken = await reserve(sale, tokens["ann"], show, categoryId="stands", quantity=2)
    assert taken.status_code == 202, taken.text

    response = await reserve(
        sale,
        tokens["bob"],
        show,
        items=[{"categoryId": "floor", "quantity": 2}, {"categoryId": "stands", "quantity": 2}],
    )

    problem = assert_problem(response, 409, "insufficient_seats")
    assert "stands" in problem["detail"]
    assert by_category(await sale.event(show)) == {"floor": (4, 0, 0), "stands": (1, 2, 0)}


async def test_a_sold_out_category_is_named_and_the_sale_goes_on(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show, maxPerUser=10)
    tokens = await sale.admitted(show, "ann", "bob")
    assert (await reserve(sale, tokens["ann"], show, categoryId="stands", quantity=3)).is_success

    response = await reserve(sale, tokens["bob"], show, categoryId="stands", quantity=1)

    problem = assert_problem(response, 409, "sold_out")
    assert "stands" in problem["detail"]
    stands = (await sale.event(show))["stats"]["categories"][1]
    assert stands["soldOut"] is False, "held seats may come back"
    assert (await reserve(sale, tokens["bob"], show, categoryId="floor", quantity=1)).is_success


async def test_each_category_and_the_sale_limit_a_user(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show, maxPerUser=4)
    token = (await sale.admitted(show, "ann"))["ann"]

    over_floor = await reserve(sale, token, show, categoryId="floor", quantity=3)
    assert "floor" in assert_problem(over_floor, 409, "limit_exceeded")["detail"]
    assert (await reserve(sale, token, show, categoryId="floor", quantity=2)).is_success
    assert (await reserve(sale, token, show, categoryId="stands", quantity=2)).is_success
    over_sale = await reserve(sale, token, show, categoryId="stands", quantity=1)

    assert_problem(over_sale, 409, "limit_exceeded")
    assert by_category(await sale.event(show)) == {"floor": (2, 2, 0), "stands": (1, 2, 0)}


async def test_a_cancelled_hold_gives_each_category_its_seats_back(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show)
    token = (await sale.admitted(show, "ann"))["ann"]
    items = [{"categoryId": "floor", "quantity": 2}, {"categoryId": "stands", "quantity": 1}]
    hold = (await reserve(sale, token, show, items=items)).json()
    confirmed = await reserve(sale, token, show, categoryId="stands", quantity=1)
    await sale.client.post(
        f"/api/v1/tickets/{confirmed.json()['reservationId']}/confirm", headers=queue_token(token)
    )

    cancelled = await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/cancel", headers=queue_token(token)
    )

    assert cancelled.status_code == 200, cancelled.text
    assert by_category(await sale.event(show)) == {"floor": (4, 0, 0), "stands": (2, 0, 1)}


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"quantity": 1}, "several"),
        ({"categoryId": "balcony", "quantity": 1}, "balcony"),
        ({"items": [{"categoryId": "floor", "quantity": 1}] * 2}, "once"),
        ({"items": [{"categoryId": "floor", "quantity": 1}], "quantity": 2}, "sum"),
        ({"items": [{"categoryId": "floor", "quantity": 1}], "categoryId": "floor"}, "not both"),
    ],
)
async def test_a_reserve_must_name_the_sales_categories(
    sale: Sale, show: str, body: dict[str, Any], reason: str
) -> None:
    await two_category_sale(sale, show)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await reserve(sale, token, show, **body)

    assert reason in assert_problem(response, 400, "validation_error")["detail"]
    assert by_category(await sale.event(show)) == {"floor": (4, 0, 0), "stands": (3, 0, 0)}


async def test_a_category_is_refused_in_a_sale_without(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]

    response = await reserve(sale, token, show, categoryId="floor", quantity=1)

    assert_problem(response, 400, "validation_error")


async def test_one_category_may_go_unnamed(sale: Sale, show: str) -> None:
    body = {"eventId": show, "name": "One tier", "categories": [FLOOR]}
    assert (await sale.client.post("/api/v1/events", json=body, headers=ADMIN)).is_success
    token = (await sale.admitted(show, "ann"))["ann"]

    hold = await sale.hold(token, show, quantity=2)

    assert hold["items"] == [{"categoryId": "floor", "quantity": 2}]


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"totalSeats": 9}, "total_seats"),
        ({"categories": [FLOOR, FLOOR]}, "once"),
        ({"categories": [{**FLOOR, "seats": 0}]}, "total_seats"),
        ({"categories": None, "totalSeats": None}, "totalSeats"),
    ],
)
async def test_categories_must_add_up(
    sale: Sale, show: str, fields: dict[str, Any], reason: str
) -> None:
    body = {"eventId": show, "name": "Two tiers", "categories": [FLOOR, STANDS], **fields}
    body = {name: value for name, value in body.items() if value is not None}

    response = await sale.client.post("/api/v1/events", json=body, headers=ADMIN)

    assert reason in assert_problem(response, 400, "validation_error")["detail"]


async def test_an_operator_changes_the_seats_of_one_category(sale: Sale, show: str) -> None:
    await two_category_sale(sale, show)
    path = f"/api/v1/events/{show}/seats"

    unnamed = await sale.client.post(path, json={"delta": 2}, headers=ADMIN)
    added = await sale.client.post(path, json={"delta": 2, "categoryId": "stands"}, headers=ADMIN)

    assert_problem(unnamed, 400, "validation_error")
    assert added.status_code == 200, added.text
    event = added.json()
    assert event["totalSeats"] == 9
    assert [c["seats"] for c in event["categories"]] == [4, 5]
    assert by_category(event) == {"floor": (4, 0, 0), "stands": (5, 0, 0)}
    too_many = await sale.client.post(
        path, json={"delta": -5, "categoryId": "floor"}, headers=ADMIN
    )
    assert_problem(too_many, 409, "insufficient_seats")
