"""The waiting room over HTTP: enter, status, leave, and who gets in when."""

from __future__ import annotations

import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import queue_token, unique_event_id

pytestmark = pytest.mark.anyio


async def test_entering_answers_a_token_and_an_exact_position(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, opensAt="2099-01-01T00:00:00Z")

    first = await sale.enter(show, "ann")
    second = await sale.enter(show, "bob")

    assert first["status"] == second["status"] == "WAITING"
    assert (first["position"], second["position"]) == (1, 2)
    assert first["token"] != second["token"]
    assert 0 < first["estimatedWaitSeconds"] <= second["estimatedWaitSeconds"]
    assert "admissionExpiresAt" not in first


async def test_entering_again_keeps_the_place(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, opensAt="2099-01-01T00:00:00Z")
    await sale.enter(show, "ann")
    await sale.enter(show, "bob")

    again = await sale.enter(show, "ann")

    assert again["position"] == 1
    assert (await sale.event(show))["stats"]["waitingUsers"] == 2


async def test_nobody_is_admitted_before_the_sale_opens(sale: Sale) -> None:
    later = unique_event_id("later")
    await sale.create_event(eventId=later, opensAt="2099-01-01T00:00:00Z")
    token = (await sale.enter(later, "ann"))["token"]

    await sale.tick(later)

    assert (await sale.status(token))["status"] == "WAITING"


async def test_admission_follows_the_order_of_entry_within_max_active_users(sale: Sale) -> None:
    fifo = unique_event_id("fifo")
    await sale.create_event(eventId=fifo, totalSeats=100, maxActiveUsers=2, admissionTtlSeconds=60)
    users = [f"user-{n}" for n in range(6)]
    tokens = {user: (await sale.enter(fifo, user))["token"] for user in users}

    async def statuses(*numbers: int) -> list[tuple[str, int]]:
        answers = [await sale.status(tokens[f"user-{number}"]) for number in numbers]
        return [(answer["status"], answer["position"]) for answer in answers]

    await sale.tick(fifo)
    assert await statuses(0, 1, 2, 3, 4, 5) == [
        ("ADMITTED", 0),
        ("ADMITTED", 0),
        ("WAITING", 1),
        ("WAITING", 2),
        ("WAITING", 3),
        ("WAITING", 4),
    ]

    # One admitted user buys their limit, the other leaves: two slots free, in order.
    await sale.hold(tokens["user-0"], fifo)
    left = await sale.client.delete("/api/v1/queue", headers=queue_token(tokens["user-1"]))
    assert left.status_code == 204
    await sale.tick(fifo)
    assert await statuses(2, 3, 4, 5) == [
        ("ADMITTED", 0),
        ("ADMITTED", 0),
        ("WAITING", 1),
        ("WAITING", 2),
    ]

    # Admissions end after their TTL and make room for the next in line.
    sale.clock.advance(60_000)
    await sale.tick(fifo)
    assert await statuses(0, 2, 3, 4, 5) == [
        ("COMPLETED", 0),
        ("EXPIRED", 0),
        ("EXPIRED", 0),
        ("ADMITTED", 0),
        ("ADMITTED", 0),
    ]


async def test_an_admitted_status_says_until_when(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, admissionTtlSeconds=300)
    token = (await sale.admitted(show, "ann"))["ann"]

    status = await sale.status(token)

    assert status["token"] == token
    assert status["estimatedWaitSeconds"] == 0
    assert status["admissionExpiresAt"].endswith("Z")


async def test_entering_an_unknown_event_is_not_found(sale: Sale) -> None:
    response = await sale.client.post(
        "/api/v1/queue/enter", json={"eventId": "nothing-here", "userId": "ann"}
    )

    assert_problem(response, 404, "event_not_found")


async def test_a_sold_out_event_turns_newcomers_away_and_tells_the_waiting(sale: Sale) -> None:
    tiny = unique_event_id("tiny")
    await sale.create_event(eventId=tiny, totalSeats=1, maxActiveUsers=1)
    buyer = (await sale.admitted(tiny, "ann"))["ann"]
    waiting = (await sale.enter(tiny, "bob"))["token"]
    hold = await sale.hold(buyer, tiny)
    await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm", headers=queue_token(buyer)
    )

    newcomer = await sale.client.post(
        "/api/v1/queue/enter", json={"eventId": tiny, "userId": "cat"}
    )

    assert_problem(newcomer, 409, "sold_out")
    status = await sale.status(waiting)
    assert (status["status"], status["position"]) == ("SOLD_OUT", 0)


async def test_leaving_gives_up_the_place_and_the_token_with_it(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, opensAt="2099-01-01T00:00:00Z")
    ann = (await sale.enter(show, "ann"))["token"]
    bob = (await sale.enter(show, "bob"))["token"]

    first = await sale.client.delete("/api/v1/queue", headers=queue_token(ann))
    second = await sale.client.delete("/api/v1/queue", headers=queue_token(ann))

    assert (first.status_code, second.status_code) == (204, 204)
    assert (await sale.status(bob))["position"] == 1
    gone = await sale.client.get("/api/v1/queue/status", headers=queue_token(ann))
    assert_problem(gone, 401, "invalid_token")
    assert (await sale.enter(show, "ann"))["position"] == 2


@pytest.mark.parametrize(
    "body",
    [
        {"eventId": "show"},
        {"eventId": "show", "userId": ""},
        {"eventId": "show", "userId": "has space"},
        {"eventId": "show", "userId": "x" * 129},
        {"eventId": "show", "userId": 42},
        {"eventId": "-bad-", "userId": "ann"},
    ],
)
async def test_an_entry_with_a_bad_user_or_event_id_is_a_validation_error(
    sale: Sale, body: dict[str, object], show: str
) -> None:
    await sale.create_event(eventId=show)

    response = await sale.client.post("/api/v1/queue/enter", json=body)

    assert_problem(response, 400, "validation_error")
