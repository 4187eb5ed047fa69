"""GET /api/v1/queue/stream: live positions, then how the wait ended."""

from __future__ import annotations

import pytest

from tests.api.support import Sale, Stream, assert_problem, finished, open_stream, sse_messages
from tests.support.http import queue_token
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

WITHIN = 30
"""Seconds a stream gets to send a message: generous, it is only spent when one never comes."""


async def until_positions(stream: Stream, *positions: int) -> None:
    """Waits until the stream has sent exactly these ``position`` messages (and nothing else)."""
    await eventually(
        lambda: (
            [(event, data.get("position")) for event, data, _ in stream.sent()]
            == [("position", position) for position in positions]
        ),
        within=WITHIN,
        what=f"the stream sent positions {list(positions)}",
    )


async def leave(sale: Sale, token: str) -> None:
    response = await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    assert response.status_code == 204


async def test_a_waiting_user_follows_their_position_until_admitted(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, maxActiveUsers=1)
    tokens = [(await sale.enter(show, f"user-{n}"))["token"] for n in range(3)]
    await sale.tick(show)
    stream = open_stream(sale, tokens[2])
    await until_positions(stream, 2)

    await leave(sale, tokens[0])
    await sale.tick(show)
    await until_positions(stream, 2, 1)
    await leave(sale, tokens[1])
    await sale.tick(show)

    messages = sse_messages((await finished(stream)).text)
    assert [(event, data.get("position")) for event, data, _ in messages] == [
        ("position", 2),
        ("position", 1),
        ("admitted", None),
    ]
    assert all(data["estimatedWaitSeconds"] > 0 for _, data, _ in messages[:2])
    assert messages[-1][1]["admissionExpiresAt"].endswith("Z")


async def test_an_admitted_user_learns_it_at_once(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]

    messages = sse_messages((await finished(open_stream(sale, token))).text)

    assert [event for event, _, _ in messages] == ["admitted"]


async def test_the_waiting_hear_when_the_event_sells_out(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=1, maxActiveUsers=1)
    buyer = (await sale.admitted(show, "ann"))["ann"]
    waiting = (await sale.enter(show, "bob"))["token"]
    hold = await sale.hold(buyer, show)
    stream = open_stream(sale, waiting)
    await until_positions(stream, 1)

    await sale.client.post(
        f"/api/v1/tickets/{hold['reservationId']}/confirm", headers=queue_token(buyer)
    )

    messages = sse_messages((await finished(stream)).text)
    assert messages == [
        (
            "position",
            {"position": 1, "estimatedWaitSeconds": messages[0][1]["estimatedWaitSeconds"]},
            [],
        ),
        ("sold_out", {}, []),
    ]


async def test_a_user_who_leaves_sees_their_stream_end_as_expired(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, opensAt="2099-01-01T00:00:00Z")
    token = (await sale.enter(show, "ann"))["token"]
    stream = open_stream(sale, token)
    await until_positions(stream, 1)

    await leave(sale, token)

    messages = sse_messages((await finished(stream)).text)
    assert [(event, data) for event, data, _ in messages][-1] == ("expired", {})


async def test_an_ended_admission_streams_expired(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, admissionTtlSeconds=30)
    token = (await sale.admitted(show, "ann"))["ann"]
    sale.clock.advance(30_000)

    messages = sse_messages((await finished(open_stream(sale, token))).text)

    assert [(event, data) for event, data, _ in messages] == [("expired", {})]


async def test_a_stream_needs_a_valid_token_with_a_place(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.enter(show, "ann"))["token"]
    await leave(sale, token)

    for params in ({}, {"token": "forged"}, {"token": token}):
        response = await sale.client.get("/api/v1/queue/stream", params=params)
        assert_problem(response, 401, "invalid_token")
