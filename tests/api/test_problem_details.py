"""Every refusal is an RFC 9457 problem with a stable code; nothing leaks, nothing 500s on input."""

from __future__ import annotations

import logging

import httpx
import pytest
from litestar import Litestar, get
from litestar.params import FromPath

from tests.api.support import PROBLEM, Sale, assert_problem
from tests.support.http import ADMIN, queue_token
from ticketing_core.errors import ERRORS_BY_CODE

pytestmark = pytest.mark.anyio

SPEC_STATUS = {
    "validation_error": 400,
    "event_not_found": 404,
    "event_exists": 409,
    "event_has_reservations": 409,
    "sold_out": 409,
    "insufficient_seats": 409,
    "limit_exceeded": 409,
    "not_admitted": 403,
    "reservation_not_found": 404,
    "hold_expired": 409,
    "invalid_state": 409,
    "sale_closed": 409,
    "code_required": 403,
    "invalid_code": 403,
    "code_exists": 409,
}


@pytest.fixture
def app(app: Litestar) -> Litestar:
    """The app, plus routes that fail the ways the real ones can (and one that should not)."""

    @get("/test/refuse/{code:str}", sync_to_thread=False)
    def refuse(code: FromPath[str]) -> None:
        raise ERRORS_BY_CODE[code]("refused on purpose")

    @get("/test/crash", sync_to_thread=False)
    def crash() -> None:
        raise RuntimeError("database password is hunter2")

    app.register(refuse)
    app.register(crash)
    return app


@pytest.mark.parametrize("code", sorted(set(ERRORS_BY_CODE) - {"not_in_queue"}))
async def test_each_domain_refusal_answers_its_spec_status(
    client: httpx.AsyncClient, code: str
) -> None:
    response = await client.get(f"/test/refuse/{code}")

    body = assert_problem(response, SPEC_STATUS[code], code)
    assert body["detail"] == "refused on purpose"
    assert body["type"] == f"urn:ticketing:problem:{code}"
    assert body["instance"] == f"/test/refuse/{code}"


async def test_a_lost_place_in_the_queue_answers_invalid_token(client: httpx.AsyncClient) -> None:
    response = await client.get("/test/refuse/not_in_queue")

    assert_problem(response, 401, "invalid_token")


async def test_an_unexpected_failure_is_a_500_without_internals(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR):
        response = await client.get("/test/crash")

    body = assert_problem(response, 500, "internal_error")
    assert "hunter2" not in response.text
    assert "RuntimeError" not in response.text
    assert body["detail"] == "something went wrong on our side; it was logged"
    assert "hunter2" in caplog.text


async def test_an_unknown_route_is_not_found(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v2/everything"), 404, "not_found")


async def test_a_wrong_method_is_not_allowed(client: httpx.AsyncClient) -> None:
    response = await client.put("/api/v1/events", json={})

    assert_problem(response, 405, "method_not_allowed")
    assert "POST" in response.headers["allow"]


@pytest.mark.parametrize(
    "path", ["/api/v1/events", "/api/v1/queue/enter", "/api/v1/tickets/reserve"]
)
@pytest.mark.parametrize("body", [b"{", b'{"eventId": "show",}', b"\xff\xfe", b"null", b"[]"])
async def test_malformed_json_is_a_validation_error(
    sale: Sale, path: str, body: bytes, show: str
) -> None:
    await sale.create_event(eventId=show)
    token = (await sale.admitted(show, "ann"))["ann"]
    headers = {"Content-Type": "application/json", **ADMIN, **queue_token(token)}

    response = await sale.client.post(path, content=body, headers=headers)

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize("path", ["/api/v1/events", "/api/v1/queue/enter"])
async def test_a_body_over_64_kib_is_too_large(client: httpx.AsyncClient, path: str) -> None:
    padding = "x" * (64 * 1024)
    response = await client.post(
        path, json={"name": padding, "userId": padding, "eventId": "x"}, headers=ADMIN
    )

    assert_problem(response, 413, "payload_too_large")


async def test_a_body_just_under_64_kib_is_read(client: httpx.AsyncClient) -> None:
    body = b'{"eventId": "nothing-here", "userId": "ann"}'.ljust(64 * 1024 - 1, b" ")

    response = await client.post(
        "/api/v1/queue/enter", content=body, headers={"Content-Type": "application/json"}
    )

    assert_problem(response, 404, "event_not_found")


async def test_problems_are_served_as_problem_json(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/events/unknown")

    assert response.headers["content-type"] == PROBLEM
