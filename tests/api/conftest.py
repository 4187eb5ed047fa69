"""One app per test, on each backend in turn, with domain time under the test's control.

Every test that uses the app runs twice: on the embedded (in-memory) backends and on Redis
(the server of ``TICKETING_REDIS_URL``, the Redis-only deployment of
``ticketing_entrypoints.backends``;
a missing setting fails the test, it never skips). The Redis runs use a database of that
server leased for this test session (``leased_database``): an app's drivers relay every event
in its database, so a database shared with a deployment or another run would mix their
messages. Redis outlives a test, so tests name their events with ``unique_event_id`` (or the
``show`` fixture) and the events a test created are deleted afterwards.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar
from playwright.sync_api import Browser, sync_playwright

from tests.api.server_process import embedded_server
from tests.api.support import CreatedEvents, Sale, serving
from tests.support.http import ADMIN_KEY, TOKEN_SECRET, unique_event_id
from tests.support.redis_servers import forget_events, leased_database
from ticketing_adapters.redis.client import open_client
from ticketing_core.clock import ManualClock
from ticketing_entrypoints.bootstrap import Container, create_app
from ticketing_entrypoints.settings import Settings

BACKENDS = ("memory", "redis")


@pytest.fixture(scope="session")
def e2e_redis_url(stack_redis_url: str) -> Iterator[str]:
    """A database of the ``TICKETING_REDIS_URL`` server of this session's own."""
    with leased_database(stack_redis_url) as url:
        yield url


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """Which adapters serve the app: the embedded set, or Redis."""
    name: str = request.param
    return name


@pytest.fixture
def clock() -> ManualClock:
    """Starts at the real now, so that wall-clock token expiry and domain time agree. The
    stores take their time from the service's clock, on Redis as in memory."""
    return ManualClock(start_ms=time.time_ns() // 1_000_000)


@pytest.fixture
def settings(backend: str, request: pytest.FixtureRequest) -> Settings:
    """Drivers off: tests tick by hand, so that admissions happen exactly when they say.
    Request budgets off: a test is one client sending a crowd's requests (the tests of the
    limits turn them on).

    The backends are set explicitly, whatever the environment says: Kafka and PostgreSQL
    never, Redis for the ``redis`` runs only.
    """
    redis_url: str | None = None
    if backend == "redis":
        redis_url = request.getfixturevalue("e2e_redis_url")
    return Settings(
        admin_key=ADMIN_KEY,
        token_secret=TOKEN_SECRET,
        redis_url=redis_url,
        redis_cluster=False,
        kafka_bootstrap=None,
        database_url=None,
        drivers=False,
        stream_interval_seconds=0.02,
        rate_limits=False,
    )


@pytest.fixture
def container(clock: ManualClock) -> Container:
    container = Container()
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
def app(settings: Settings, container: Container) -> Litestar:
    return create_app(settings, container)


@pytest.fixture
async def created_events(settings: Settings) -> AsyncIterator[CreatedEvents]:
    """The events the test created over HTTP; deleted from Redis when it ends."""
    created = CreatedEvents()
    yield created
    if settings.redis_url is not None and created.ids:
        redis = open_client(settings.redis_url, cluster=settings.redis_cluster)
        try:
            await forget_events(redis, created.ids)
        finally:
            await redis.aclose()


@pytest.fixture
async def client(app: Litestar, created_events: CreatedEvents) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        client.event_hooks["response"].append(created_events.record)
        yield client


@pytest.fixture
def sale(
    client: httpx.AsyncClient, container: Container, clock: ManualClock, app: Litestar
) -> Sale:
    return Sale(client, container, clock, app)


@pytest.fixture
def show() -> str:
    """This test's own id for its (main) event."""
    return unique_event_id("show")


CHROMIUM = Path("/usr/bin/chromium")
"""Debian's Chromium, for the browser tests: never a browser download."""
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """``ticketing serve`` on a free loopback port, on the in-memory backends."""
    with embedded_server(tmp_path / "server.log") as base:
        yield base


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(
            f"{CHROMIUM} is missing: install Debian's Chromium with scripts/install-browser.sh "
            "(or `make browser`; `make test` does it)",
            pytrace=False,
        )
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, timeout=30_000
        )
        try:
            yield browser
        finally:
            browser.close()
