"""``HEAD`` is answered wherever ``GET`` is (RFC 9110, 9.3.2), with ``GET``'s status and headers
and no content: API routes, web pages, static files and the schema alike; ``Allow`` says so."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from litestar import Litestar

from tests.api.server_process import embedded_server
from tests.api.support import PROBLEM, Sale, assert_problem
from tests.support.http import LOOPBACK

pytestmark = pytest.mark.anyio

GET_PATHS = [
    "/health/live",
    "/health/ready",
    "/api/v1/events",
    "/",
    "/admin",
    "/static/api.js",
    "/schema",
    "/schema/openapi.json",
    "/schema/assets/swagger-init.js",
]
VARYING = {"date", "x-request-id"}


@pytest.mark.parametrize("path", GET_PATHS)
async def test_head_answers_what_get_answers_without_the_content(
    client: httpx.AsyncClient, path: str
) -> None:
    got = await client.get(path)
    head = await client.head(path)

    assert got.status_code == 200, got.text
    assert head.status_code == 200
    assert head.content == b""
    assert {k: v for k, v in head.headers.items() if k not in VARYING} == {
        k: v for k, v in got.headers.items() if k not in VARYING
    }
    assert head.headers["content-length"] == str(len(got.content))


async def test_head_of_the_metrics_is_their_head(client: httpx.AsyncClient) -> None:
    head = await client.head("/metrics")

    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-type"].startswith("text/plain")


async def test_head_of_an_event_answers_as_get_does(
    client: httpx.AsyncClient, sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show)
    path = f"/api/v1/events/{show}"

    head = await client.head(path)
    missing = await client.head("/api/v1/events/nobody-made-this")

    assert head.status_code == 200
    assert head.content == b""
    assert int(head.headers["content-length"]) == len((await client.get(path)).content)
    assert missing.status_code == 404
    assert missing.headers["content-type"] == PROBLEM
    assert missing.content == b""


@pytest.mark.parametrize("path", ["/nope", "/schema/nope", "/static/nope.js"])
async def test_head_of_nothing_is_a_bodiless_not_found(
    client: httpx.AsyncClient, path: str
) -> None:
    head = await client.head(path)

    assert head.status_code == 404
    assert head.headers["content-type"] == PROBLEM
    assert head.content == b""
    assert_problem(await client.get(path), 404, "not_found")


async def test_head_needs_what_get_needs(client: httpx.AsyncClient) -> None:
    head = await client.head("/api/v1/queue/status")

    assert head.status_code == 401
    assert head.headers["www-authenticate"] == 'X-Queue-Token realm="queue"'
    assert head.content == b""


async def test_head_where_there_is_no_get_is_not_allowed(client: httpx.AsyncClient) -> None:
    head = await client.head("/api/v1/queue/enter")

    assert head.status_code == 405
    assert head.content == b""
    assert "HEAD" not in head.headers["allow"]
    assert "GET" not in head.headers["allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("OPTIONS", "/api/v1/events"),
        ("OPTIONS", "/api/v1/events/show"),
        ("OPTIONS", "/health/live"),
        ("PUT", "/api/v1/events"),
        ("DELETE", "/health/live"),
        ("POST", "/"),
        ("POST", "/static/api.js"),
        ("POST", "/schema/openapi.json"),
    ],
)
async def test_allow_names_head_wherever_it_names_get(
    client: httpx.AsyncClient, method: str, path: str
) -> None:
    response = await client.request(method, path)
    allowed = [name.strip() for name in response.headers["allow"].split(",")]

    assert response.status_code in {200, 204, 405}
    assert "GET" in allowed
    assert allowed.count("HEAD") == 1


async def test_allow_without_get_has_no_head(client: httpx.AsyncClient) -> None:
    response = await client.get("/api/v1/queue/enter")
    allowed = {name.strip() for name in response.headers["allow"].split(",")}

    assert_problem(response, 405, "method_not_allowed")
    assert "HEAD" not in allowed


async def test_head_of_a_stream_ends_with_its_head_though_the_client_stays(
    app: Litestar, client: httpx.AsyncClient, sale: Sale, show: str
) -> None:
    """A client that never goes away (its ``receive`` never answers) still gets the whole
    answer to a HEAD on the queue's event stream, and the stream stops."""
    await sale.create_event(eventId=show)
    token = (await sale.enter(show, "ann"))["token"]
    sent: list[dict[str, Any]] = []
    staying = asyncio.Event()

    async def receive() -> dict[str, Any]:
        await staying.wait()
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "HEAD",
        "scheme": "http",
        "path": "/api/v1/queue/stream",
        "raw_path": b"/api/v1/queue/stream",
        "query_string": f"token={token}".encode(),
        "root_path": "",
        "headers": [(b"host", b"testserver"), (b"accept", b"text/event-stream")],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
        "state": {},
    }
    await asyncio.wait_for(app(scope, receive, send), timeout=5)  # type: ignore[arg-type]

    assert [message["type"] for message in sent] == ["http.response.start", "http.response.body"]
    assert sent[0]["status"] == 200
    assert (b"content-type", b"text/event-stream; charset=utf-8") in [
        tuple(header) for header in sent[0]["headers"]
    ]
    assert sent[1] == {"type": "http.response.body", "body": b"", "more_body": False}


def test_a_real_server_frames_head_answers_and_keeps_the_connection(tmp_path: Path) -> None:
    """granian, as ``ticketing serve`` runs it: the head of each answer and no content, so the
    next request on the same connection reads its own answer."""
    with embedded_server(tmp_path / "server.log") as base, httpx.Client(base_url=base) as http:
        assert LOOPBACK in base
        for path in ("/health/live", "/static/api.js", "/schema", "/nope"):
            got = http.get(path)
            head = http.head(path)
            assert head.status_code == got.status_code, path
            assert head.content == b""
            assert head.headers["content-length"] == str(len(got.content))
        assert http.get("/health/live").json() == {"status": "alive"}
