"""Health, metrics and the OpenAPI document."""

from __future__ import annotations

import asyncio
import dataclasses
import subprocess
import time
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
import redis
from dependency_injector import providers

from tests.api.support import serving
from tests.support.http import ADMIN_KEY, TOKEN_SECRET, free_port
from ticketing_entrypoints.backends import Backends, memory_backends
from ticketing_entrypoints.bootstrap import Container, create_app
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

SPEC_ROUTES = {
    ("post", "/api/v1/events"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/events/{event_id}"),
    ("delete", "/api/v1/events/{event_id}"),
    ("patch", "/api/v1/events/{event_id}"),
    ("post", "/api/v1/events/{event_id}/pause"),
    ("post", "/api/v1/events/{event_id}/resume"),
    ("post", "/api/v1/events/{event_id}/close"),
    ("post", "/api/v1/events/{event_id}/seats"),
    ("get", "/api/v1/events/{event_id}/changes"),
    ("get", "/api/v1/events/{event_id}/entry-grant-key"),
    ("post", "/api/v1/events/{event_id}/codes"),
    ("get", "/api/v1/events/{event_id}/codes"),
    ("get", "/api/v1/operator"),
    ("get", "/api/v1/operator/refusals"),
    ("post", "/api/v1/queue/challenge"),
    ("post", "/api/v1/queue/enter"),
    ("get", "/api/v1/queue/status"),
    ("get", "/api/v1/queue/stream"),
    ("delete", "/api/v1/queue"),
    ("post", "/api/v1/tickets/reserve"),
    ("get", "/api/v1/tickets/{reservation_id}"),
    ("post", "/api/v1/tickets/{reservation_id}/confirm"),
    ("post", "/api/v1/tickets/{reservation_id}/cancel"),
    ("get", "/metrics"),
    ("get", "/health/live"),
    ("get", "/health/ready"),
}


async def test_a_running_process_is_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")

    assert (response.status_code, response.json()) == (200, {"status": "alive"})


async def test_every_dependency_of_the_backend_is_ready(
    client: httpx.AsyncClient, backend: str
) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "dependencies": {backend: "up"}}


async def redis_is_down() -> None:
    raise ConnectionError("connection refused")


async def backends_with_redis_down() -> AsyncIterator[Backends]:
    backends = memory_backends()
    yield dataclasses.replace(backends, probes={**backends.probes, "redis": redis_is_down})


def settings_on(redis_url: str | None) -> Settings:
    return Settings(
        admin_key=ADMIN_KEY,
        token_secret=TOKEN_SECRET,
        redis_url=redis_url,
        kafka_bootstrap=None,
        database_url=None,
        drivers=False,
    )


async def test_readiness_names_the_dependency_that_is_down() -> None:
    container = Container()
    container.backends.override(providers.Resource(backends_with_redis_down))

    async with serving(create_app(settings_on(None), container)) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"ready": False, "dependencies": {"memory": "up", "redis": "down"}}


@pytest.fixture
def own_redis() -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """A Redis server of this test's own on a free loopback port, so that it may stop it."""
    port = free_port()
    server = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"redis://127.0.0.1:{port}/0"
    try:
        deadline = time.monotonic() + 30
        while not answers(url):
            assert server.poll() is None, "redis-server exited"
            assert time.monotonic() < deadline, "redis-server did not answer within 30 s"
            time.sleep(0.05)  # the poll interval of this wait for the server to answer
        yield url, server
    finally:
        server.kill()
        server.wait()


def answers(url: str) -> bool:
    client = redis.Redis.from_url(url)
    try:
        return bool(client.ping())
    except redis.ConnectionError:
        return False
    finally:
        client.close()


async def test_readiness_answers_503_naming_redis_once_redis_stops(
    own_redis: tuple[str, subprocess.Popen[bytes]],
) -> None:
    url, server = own_redis
    async with serving(create_app(settings_on(url))) as client:
        up = await client.get("/health/ready")
        server.kill()
        await asyncio.to_thread(server.wait)
        down = await client.get("/health/ready")

    assert (up.status_code, up.json()) == (200, {"ready": True, "dependencies": {"redis": "up"}})
    assert down.status_code == 503
    assert down.json() == {"ready": False, "dependencies": {"redis": "down"}}


async def test_metrics_are_prometheus_text(client: httpx.AsyncClient) -> None:
    response = await client.get("/metrics")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    assert "# HELP" in response.text


async def test_the_openapi_document_describes_every_route_and_its_problems(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/schema/openapi.json")

    assert response.status_code == 200
    document = response.json()
    routes = {
        (method, path)
        for path, operations in document["paths"].items()
        for method in operations
        if method in {"get", "post", "put", "delete", "patch"}
    }
    assert routes == SPEC_ROUTES
    operational = {("get", "/metrics"), ("get", "/health/live"), ("get", "/health/ready")}
    for method, path in SPEC_ROUTES - operational:
        responses = document["paths"][path][method]["responses"]
        problems = [status for status in responses if status.startswith("4")]
        assert problems, (method, path)
        for status in problems:
            content = responses[status]["content"]
            schema = content["application/problem+json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/Problem"}, (method, path, status)
    problem = document["components"]["schemas"]["Problem"]
    assert set(problem["required"]) == {"type", "title", "status", "detail", "code"}
    assert set(document["components"]["securitySchemes"]) == {"adminKey", "queueToken"}
