"""One app per test, on the embedded backends, with domain time under the test's control."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator

import httpx
import pytest
from dependency_injector import providers
from litestar import Litestar

from entrypoints.container import Container
from entrypoints.http.app import create_app
from entrypoints.settings import AppSettings
from tests.e2e.support import ADMIN_KEY, TOKEN_SECRET, Sale, serving
from ticketing_core.clock import ManualClock


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture
def clock() -> ManualClock:
    """Starts at the real now, so that wall-clock token expiry and domain time agree."""
    return ManualClock(start_ms=time.time_ns() // 1_000_000)


@pytest.fixture
def settings() -> AppSettings:
    """Drivers off: tests tick by hand, so that admissions happen exactly when they say."""
    return AppSettings(
        admin_key=ADMIN_KEY,
        token_secret=TOKEN_SECRET,
        drivers=False,
        stream_interval_seconds=0.02,
    )


@pytest.fixture
def container(clock: ManualClock) -> Container:
    container = Container()
    container.clock.override(providers.Object(clock))
    return container


@pytest.fixture
def app(settings: AppSettings, container: Container) -> Litestar:
    return create_app(settings, container)


@pytest.fixture
async def client(app: Litestar) -> AsyncIterator[httpx.AsyncClient]:
    async with serving(app) as client:
        yield client


@pytest.fixture
def sale(client: httpx.AsyncClient, container: Container, clock: ManualClock) -> Sale:
    return Sale(client, container, clock)
