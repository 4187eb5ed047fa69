from __future__ import annotations

from collections.abc import Iterator, Mapping

import pytest

from tests.support.redis_servers import (
    CLUSTER,
    STANDALONE,
    Opener,
    forget_test_events_on,
    open_cluster,
    open_standalone,
    require,
)


@pytest.fixture(scope="session")
def redis_url(service_environment: Mapping[str, str]) -> Iterator[str]:
    """The standalone Redis (fails loudly when it does not answer); test events are deleted
    when the session ends."""
    yield require(STANDALONE, cluster=False)
    forget_test_events_on(open_standalone)


@pytest.fixture(scope="session")
def redis_cluster_url(service_environment: Mapping[str, str]) -> Iterator[str]:
    """The three-master Redis Cluster, as ``redis_url`` (``TICKETING_TEST_SERVICES=containers``
    provides none: then these tests fail unless ``TICKETING_TEST_REDIS_CLUSTER_URL`` names one).
    """
    yield require(CLUSTER, cluster=True)
    forget_test_events_on(open_cluster)


@pytest.fixture(params=["standalone", "cluster"])
def open_instance(request: pytest.FixtureRequest) -> Opener:
    """Opens one API instance's Redis hot state, on the standalone server or on the Cluster."""
    if request.param == "cluster":
        request.getfixturevalue("redis_cluster_url")
        return open_cluster
    request.getfixturevalue("redis_url")
    return open_standalone
