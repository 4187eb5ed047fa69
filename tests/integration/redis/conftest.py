from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from tests.integration.redis.servers import (
    CLUSTER,
    STANDALONE,
    Opener,
    forget_test_events,
    open_cluster,
    open_standalone,
    require,
)


def _cleanup(opener: Opener) -> None:
    async def run() -> None:
        state = await opener()
        try:
            await forget_test_events(state)
        finally:
            await state.close()

    asyncio.run(run())


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """The standalone Redis (fails loudly when it does not answer); test events are deleted
    when the session ends."""
    yield require(STANDALONE, cluster=False)
    _cleanup(open_standalone)


@pytest.fixture(scope="session")
def redis_cluster_url() -> Iterator[str]:
    """The three-master Redis Cluster, as ``redis_url``."""
    yield require(CLUSTER, cluster=True)
    _cleanup(open_cluster)


@pytest.fixture(params=["standalone", "cluster"])
def open_instance(request: pytest.FixtureRequest) -> Opener:
    """Opens one API instance's Redis hot state, on the standalone server or on the Cluster."""
    if request.param == "cluster":
        request.getfixturevalue("redis_cluster_url")
        return open_cluster
    request.getfixturevalue("redis_url")
    return open_standalone
