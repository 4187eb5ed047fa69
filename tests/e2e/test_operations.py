"""Health, metrics and the OpenAPI document."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers

from entrypoints.backends import Backends, memory_backends
from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import AppSettings
from tests.e2e.support import serving

pytestmark = pytest.mark.anyio

SPEC_ROUTES = {
    ("post", "/api/v1/events"),
    ("get", "/api/v1/events"),
    ("get", "/api/v1/events/{event_id}"),
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


async def test_the_embedded_backends_are_always_ready(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")

    assert response.status_code == 200
    assert response.json() == {"ready": True, "dependencies": {"memory": "up"}}


async def redis_is_down() -> None:
    raise ConnectionError("connection refused")


async def backends_with_redis_down() -> AsyncIterator[Backends]:
    backends = memory_backends()
    yield dataclasses.replace(backends, probes={**backends.probes, "redis": redis_is_down})


async def test_readiness_names_the_dependency_that_is_down(settings: AppSettings) -> None:
    container = Container()
    container.backends.override(providers.Resource(backends_with_redis_down))

    async with serving(create_app(settings, container)) as client:
        response = await client.get("/health/ready")

    assert response.status_code == 503
    assert response.json() == {"ready": False, "dependencies": {"memory": "up", "redis": "down"}}


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
