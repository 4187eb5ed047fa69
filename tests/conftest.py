"""Fixtures for the whole suite, and each test marked by the folder it lives in; the fixtures
on the test services come from a plugin."""

from pathlib import Path

import pytest

pytest_plugins = ["tests.support.service_fixtures"]

TESTS = Path(__file__).parent
FOLDER_MARKERS = ("unit", "integration", "api", "e2e")
"""unit: no services; integration: an adapter against its real server; api: the app in process
on memory and Redis; e2e: real processes on the real stack. Registered in pyproject.toml."""


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Marks every test with its folder's marker (``make test-unit`` is ``pytest -m unit``)."""
    for item in items:
        if not item.path.is_relative_to(TESTS):
            continue
        folder = item.path.relative_to(TESTS).parts[0]
        if folder not in FOLDER_MARKERS:
            raise pytest.UsageError(f"{item.nodeid}: a test lives in one of {FOLDER_MARKERS}")
        item.add_marker(folder)
