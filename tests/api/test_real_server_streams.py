"""A real ``ticketing serve`` process holds a crowd of position streams and admits them all.

The server runs on the embedded backends whatever the environment sets: this is about the
server holding streams (tests/e2e runs real processes on the real stack)."""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.server_process import embedded_server
from tests.support.http import ADMIN, LOOPBACK

pytestmark = pytest.mark.anyio

STREAMS = 1_000
OPENS_IN = timedelta(seconds=6)
"""Time to enter everybody and open every stream before the sale opens."""
HOST = LOOPBACK


@pytest.fixture
def open_files_limit() -> None:
    """Every stream is a socket here and one in the server."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    assert resource.getrlimit(resource.RLIMIT_NOFILE)[0] > 2 * STREAMS + 100


@pytest.fixture
def server(tmp_path: Path, open_files_limit: None) -> Iterator[str]:
    one_address_crowd = {"TICKETING_RATE_LIMITS": "false", "TICKETING_STREAMS_PER_ADDRESS": "20000"}
    with embedded_server(tmp_path / "server.log", **one_address_crowd) as base:
        yield base


@pytest.fixture
async def api(server: str) -> AsyncIterator[httpx.AsyncClient]:
    limits = httpx.Limits(max_connections=64)
    async with httpx.AsyncClient(base_url=server, limits=limits, timeout=30) as client:
        for _ in range(200):
            try:
                if (await client.get("/health/live")).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
        else:
            pytest.fail("the server did not come up")
        yield client


class Stream:
    """One SSE connection on a bare socket: HTTP/1.1, chunked, read until the stream ends."""

    def __init__(self, port: int, token: str) -> None:
        self.port = port
        self.token = token
        self.events: list[tuple[str, dict[str, Any]]] = []
        self.connected = asyncio.Event()

    async def run(self) -> None:
        reader, writer = await asyncio.open_connection(HOST, self.port)
        try:
            writer.write(
                f"GET /api/v1/queue/stream?token={self.token} HTTP/1.1\r\n"
                f"Host: {HOST}\r\nAccept: text/event-stream\r\n\r\n".encode()
            )
            await writer.drain()
            status = await reader.readline()
            assert status.startswith(b"HTTP/1.1 200"), status
            while (await reader.readline()).strip():
                pass  # headers
            self.connected.set()
            buffer = b""
            async for chunk in self._chunks(reader):
                buffer += chunk
                while b"\r\n\r\n" in buffer:
                    message, buffer = buffer.split(b"\r\n\r\n", 1)
                    self._record(message.decode())
        finally:
            writer.close()

    @staticmethod
    async def _chunks(reader: asyncio.StreamReader) -> AsyncIterator[bytes]:
        while size := int((await reader.readline()).strip() or b"0", 16):
            yield await reader.readexactly(size)
            await reader.readexactly(2)

    def _record(self, message: str) -> None:
        fields = dict(line.split(": ", 1) for line in message.split("\r\n") if ": " in line)
        if "event" in fields:
            self.events.append((fields["event"], json.loads(fields["data"])))


async def test_a_thousand_open_streams_all_hear_that_they_are_admitted(
    api: httpx.AsyncClient, server: str
) -> None:
    opens_at = datetime.now(UTC) + OPENS_IN
    created = await api.post(
        "/api/v1/events",
        headers=ADMIN,
        json={
            "eventId": "crowd",
            "name": "Crowd",
            "totalSeats": STREAMS,
            "opensAt": opens_at.isoformat(),
            "admissionRatePerSecond": STREAMS,
            "maxActiveUsers": STREAMS,
        },
    )
    assert created.status_code == 201, created.text

    async def enter(user: str) -> str:
        response = await api.post("/api/v1/queue/enter", json={"eventId": "crowd", "userId": user})
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    tokens = await asyncio.gather(*(enter(f"fan-{n}") for n in range(STREAMS)))
    port = int(server.rsplit(":", 1)[1])
    streams = [Stream(port, token) for token in tokens]
    running = [asyncio.create_task(stream.run()) for stream in streams]
    await asyncio.wait_for(asyncio.gather(*(s.connected.wait() for s in streams)), timeout=30)
    all_open = datetime.now(UTC)
    assert all_open < opens_at, "the streams took too long to open before the sale did"
    started = time.monotonic()
    health = await api.get("/health/live")
    assert health.status_code == 200
    health_seconds = time.monotonic() - started

    await asyncio.wait_for(asyncio.gather(*running), timeout=60)
    all_admitted = datetime.now(UTC)

    for stream in streams:
        kinds = [event for event, _ in stream.events]
        assert kinds[0] == "position"
        assert kinds[-1] == "admitted"
        assert set(kinds[:-1]) == {"position"}
        assert stream.events[-1][1]["admissionExpiresAt"].endswith("Z")
    print(
        f"\n{STREAMS} streams open {(opens_at - all_open).total_seconds():.1f} s before the sale;"
        f" /health/live meanwhile in {health_seconds * 1000:.0f} ms;"
        f" all admitted {(all_admitted - opens_at).total_seconds():.2f} s after it opened"
    )
