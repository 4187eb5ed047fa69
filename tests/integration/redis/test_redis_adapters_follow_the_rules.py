"""The Redis adapters, proven by the public harness against the reference model, on a real
Redis server and on a three-master Redis Cluster."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, settings

from tests.support.redis_servers import as_harness_state, open_cluster, open_standalone
from ticketing_core.testing import HotState, sale_machine


async def standalone_hot_state() -> HotState:
    return as_harness_state(await open_standalone())


async def cluster_hot_state() -> HotState:
    return as_harness_state(await open_cluster())


StandaloneSaleMachine = sale_machine(standalone_hot_state)
# The same strength as the memory adapters' proof (tests/unit).
StandaloneSaleMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRedisAdaptersFollowTheRules = pytest.mark.usefixtures("redis_url")(
    StandaloneSaleMachine.TestCase
)

ClusterSaleMachine = sale_machine(cluster_hot_state)
# Every script runs the same on Cluster; what this run proves on top is that each one stays
# within one slot (Cluster refuses cross-slot keys) and that the client routes it there: every
# script runs in the first few examples, so half the standalone run's examples prove that,
# and keep CI within its time.
ClusterSaleMachine.TestCase.settings = settings(
    max_examples=150,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestRedisAdaptersFollowTheRulesOnACluster = pytest.mark.usefixtures("redis_cluster_url")(
    ClusterSaleMachine.TestCase
)
