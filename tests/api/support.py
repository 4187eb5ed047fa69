"""Drives the app in process the way a client would, plus the one thing clients cannot do:
tick. (What any client of the API uses is in ``tests/support/http.py``.)"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, MutableMapping
from contextlib import asynccontextmanager
from typing import Any

import httpx
from litestar import Litestar

from tests.support.http import ADMIN, queue_token
from ticketing_core.clock import ManualClock
from ticketing_entrypoints.bootstrap import Container

PROBLEM = "application/problem+json"
EVENTS = "/api/v1/events"


class CreatedEvents:
    """Collects the ids of the events created through a client (an httpx response hook)."""

    def __init__(self) -> None:
        self.ids: list[str] = []

    async def record(self, response: httpx.Response) -> None:
        request = response.request
        if (request.method, request.url.path, response.status_code) == ("POST", EVENTS, 201):
            await response.aread()
            self.ids.append(response.json()["eventId"])


def assert_problem(response: httpx.Response, status: int, code: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem with this status and code; answers its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body: dict[str, Any] = response.json()
    assert body["status"] == status
    assert body["code"] == code
    assert body["title"]
    assert body["detail"]
    assert "Traceback" not in response.text
    return body


@asynccontextmanager
async def serving(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    """A client of ``app`` running on the caller's event loop, lifespan included.

    Litestar's own ``AsyncTestClient`` runs the app on a portal thread and blocks the caller's
    loop for every request: concurrent requests would run one by one, and the test's clock and
    ticks would cross threads. Here the app, the test and its requests share one loop.
    """
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

    async def receive() -> dict[str, Any]:
        return await inbox.get()

    async def send(message: dict[str, Any]) -> None:
        await outbox.put(message)

    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    # Litestar types its ASGI callable precisely, httpx and this helper generically: both are ASGI.
    lifespan = asyncio.create_task(app(scope, receive, send))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    started = await outbox.get()
    assert started["type"] == "lifespan.startup.complete", started
    try:
        transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            yield client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        stopped = await outbox.get()
        await lifespan
        assert stopped["type"] == "lifespan.shutdown.complete", stopped


class Sale:
    def __init__(
        self, client: httpx.AsyncClient, container: Container, clock: ManualClock, app: Litestar
    ) -> None:
        self.client = client
        self.container = container
        self.clock = clock
        self.app = app
        """The app ``client`` drives (already started), for the requests ``Stream`` watches."""

    async def create_event(self, **fields: Any) -> dict[str, Any]:
        body = {"name": "Flash sale", "totalSeats": 10, **fields}
        response = await self.client.post("/api/v1/events", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        event: dict[str, Any] = response.json()
        return event

    async def event(self, event_id: str) -> dict[str, Any]:
        response = await self.client.get(f"/api/v1/events/{event_id}")
        assert response.status_code == 200, response.text
        event: dict[str, Any] = response.json()
        return event

    async def enter(self, event_id: str, user_id: str) -> dict[str, Any]:
        response = await self.client.post(
            "/api/v1/queue/enter", json={"eventId": event_id, "userId": user_id}
        )
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket

    async def status(self, token: str) -> dict[str, Any]:
        response = await self.client.get("/api/v1/queue/status", headers=queue_token(token))
        assert response.status_code == 200, response.text
        ticket: dict[str, Any] = response.json()
        return ticket

    async def tick(self, event_id: str) -> None:
        """What the background driver does every ~100 ms."""
        service = await self.container.service.async_()
        await service.tick(event_id)

    async def relay(self, event_id: str) -> None:
        """What the background relay does: the outbox, to the durable record, until empty."""
        relay = await self.container.relay.async_()
        while await relay.relay(event_id):
            pass

    async def admitted(self, event_id: str, *user_ids: str) -> dict[str, str]:
        """Enters every user, ticks once, and answers their tokens (all must be admitted)."""
        tokens = {user: (await self.enter(event_id, user))["token"] for user in user_ids}
        await self.tick(event_id)
        for user, token in tokens.items():
            assert (await self.status(token))["status"] == "ADMITTED", user
        return tokens

    async def reserve(
        self, token: str, event_id: str, quantity: int = 1, idempotency_key: str | None = None
    ) -> httpx.Response:
        headers = queue_token(token)
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return await self.client.post(
            "/api/v1/tickets/reserve",
            json={"eventId": event_id, "quantity": quantity},
            headers=headers,
        )

    async def hold(self, token: str, event_id: str, quantity: int = 1) -> dict[str, Any]:
        response = await self.reserve(token, event_id, quantity)
        assert response.status_code == 202, response.text
        hold: dict[str, Any] = response.json()
        return hold


ASGIMessage = MutableMapping[str, Any]


class Stream:
    """One ``/api/v1/queue/stream`` request in flight: the messages the app sent so far, then
    the whole response once it ends. httpx's ASGI transport hands a response over only once it
    ended, so the body is also read off the app as the app sends it, for tests to wait on."""

    def __init__(self, sale: Sale, token: str, address: str = "127.0.0.1") -> None:
        """From the client ``address`` (the test transport's by default)."""
        self._body = bytearray()
        self.response = asyncio.create_task(self._get(sale.app, token, address))

    async def _get(self, app: Litestar, token: str, address: str) -> httpx.Response:
        async def teed(
            scope: ASGIMessage,
            receive: Callable[[], Awaitable[ASGIMessage]],
            send: Callable[[ASGIMessage], Awaitable[None]],
        ) -> None:
            async def tee(message: ASGIMessage) -> None:
                if message["type"] == "http.response.body":
                    self._body.extend(message.get("body", b""))
                await send(message)

            # Litestar types its ASGI callable precisely, this helper generically: both are ASGI.
            await app(scope, receive, tee)  # type: ignore[arg-type]

        transport = httpx.ASGITransport(app=teed, client=(address, 123))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return await client.get("/api/v1/queue/stream", params={"token": token})

    def sent(self) -> list[tuple[str, dict[str, Any], list[str]]]:
        """The whole messages the app sent so far (see ``sse_messages``)."""
        whole, _, _ = self._body.decode().replace("\r\n", "\n").rpartition("\n\n")
        return sse_messages(whole)


def open_stream(sale: Sale, token: str) -> Stream:
    return Stream(sale, token)


async def finished(stream: Stream) -> httpx.Response:
    """The stream's whole response, once it ends."""
    response = await asyncio.wait_for(stream.response, timeout=5)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/event-stream")
    return response


def sse_messages(body: str) -> list[tuple[str, dict[str, Any], list[str]]]:
    """(event, JSON data, comments) of every message of an event stream."""
    messages = []
    for block in body.replace("\r\n", "\n").split("\n\n"):
        if not block.strip():
            continue
        event, data, comments = "message", None, []
        for line in block.split("\n"):
            field, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if field == "":
                comments.append(value)
            elif field == "event":
                event = value
            elif field == "data":
                data = json.loads(value)
        assert isinstance(data, dict), f"every message has a JSON data line: {block!r}"
        messages.append((event, data, comments))
    return messages
