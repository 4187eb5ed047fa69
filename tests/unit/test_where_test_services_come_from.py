"""``TICKETING_TEST_SERVICES``: the test services from scripts/services.sh (the default) or from
testcontainers, and the settings the tests then read. No Docker daemon runs here: a fake stands
for the containers, answering fixed addresses."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from tests.support import service_fixtures, stack
from tests.support.redis_servers import CLUSTER, STANDALONE, url_of
from tests.support.services import (
    CONTAINERS,
    SERVICES,
    Started,
    UnknownTestServices,
    service_settings,
    services_mode,
)

FROM_SERVICES_SH = {
    "TICKETING_REDIS_URL": "redis://127.0.0.1:16379/0",
    "TICKETING_TEST_REDIS_CLUSTER_URL": "redis://127.0.0.1:17001/0",
    "TICKETING_DATABASE_URL": "postgresql://ticketing:ticketing@127.0.0.1:15432/ticketing",
    "TICKETING_KAFKA_BOOTSTRAP": "127.0.0.1:19092",
}
"""What ``eval "$(scripts/services.sh env)"`` exports."""
IN_CONTAINERS = Started(
    redis_url="redis://localhost:32768/0",
    database_url="postgresql://ticketing:ticketing@localhost:32769/ticketing",
    kafka_bootstrap="localhost:32770",
)


class FakeContainers:
    """Stands for testcontainers: records whether the containers run."""

    def __init__(self) -> None:
        self.started = 0
        self.running = False

    @contextmanager
    def start(self) -> Iterator[Started]:
        self.started += 1
        self.running = True
        try:
            yield IN_CONTAINERS
        finally:
            self.running = False


@pytest.mark.parametrize("environ", [{}, {"TICKETING_TEST_SERVICES": ""}])
def test_scripts_services_sh_is_the_default(environ: dict[str, str]) -> None:
    assert services_mode(environ) == SERVICES


def test_containers_are_chosen_by_name() -> None:
    assert services_mode({"TICKETING_TEST_SERVICES": "containers"}) == CONTAINERS


@pytest.mark.parametrize("mode", ["docker", "Containers", "compose"])
def test_an_unknown_choice_is_an_error_naming_the_variable_and_the_choices(mode: str) -> None:
    with pytest.raises(UnknownTestServices) as raised:
        services_mode({"TICKETING_TEST_SERVICES": mode})

    assert str(raised.value).startswith(f"TICKETING_TEST_SERVICES={mode!r} is not a way")
    assert "'services'" in str(raised.value)
    assert "'containers'" in str(raised.value)
    containers = FakeContainers()
    with (
        pytest.raises(UnknownTestServices, match="TICKETING_TEST_SERVICES"),
        service_settings(mode, {}, start_containers=containers.start),
    ):
        pass
    assert containers.started == 0


def test_an_unknown_choice_stops_the_run_before_any_test(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETING_TEST_SERVICES", "docker")

    with pytest.raises(pytest.UsageError, match="TICKETING_TEST_SERVICES='docker'"):
        service_fixtures.pytest_configure()


def test_scripts_services_sh_settings_are_read_from_the_environment_as_they_are() -> None:
    environ = {**FROM_SERVICES_SH, "PATH": "/usr/bin", "TICKETING_PORT": "8000"}
    containers = FakeContainers()

    with service_settings(SERVICES, environ, start_containers=containers.start) as settings:
        assert settings == FROM_SERVICES_SH
    assert containers.started == 0


def test_a_missing_setting_stays_missing_for_the_tests_that_need_it_to_fail_on() -> None:
    environ = {"TICKETING_REDIS_URL": FROM_SERVICES_SH["TICKETING_REDIS_URL"]}

    with service_settings(SERVICES, environ, start_containers=FakeContainers().start) as got:
        assert got == environ


def test_containers_yield_the_same_settings_with_their_own_addresses() -> None:
    containers = FakeContainers()
    without_cluster = {
        name: value for name, value in FROM_SERVICES_SH.items() if "CLUSTER" not in name
    }

    with service_settings(CONTAINERS, without_cluster, start_containers=containers.start) as got:
        assert containers.running
        assert got == {
            "TICKETING_REDIS_URL": "redis://localhost:32768/0",
            "TICKETING_DATABASE_URL": "postgresql://ticketing:ticketing@localhost:32769/ticketing",
            "TICKETING_KAFKA_BOOTSTRAP": "localhost:32770",
        }

    assert (containers.started, containers.running) == (1, False)


def test_a_cluster_of_the_users_own_carries_over_since_no_container_provides_one() -> None:
    cluster = "redis://10.0.0.5:7000/0"
    environ = {"TICKETING_TEST_REDIS_CLUSTER_URL": cluster}

    with service_settings(CONTAINERS, environ, start_containers=FakeContainers().start) as got:
        assert got["TICKETING_TEST_REDIS_CLUSTER_URL"] == cluster
        assert got["TICKETING_REDIS_URL"] == IN_CONTAINERS.redis_url


def test_the_containers_are_removed_when_the_session_fails() -> None:
    containers = FakeContainers()

    with (
        pytest.raises(RuntimeError),
        service_settings(CONTAINERS, {}, start_containers=containers.start),
    ):
        raise RuntimeError("a session that ended badly")

    assert not containers.running


def test_without_a_cluster_the_cluster_tests_fail_loudly_in_containers(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TICKETING_TEST_SERVICES", "containers")
    monkeypatch.delenv("TICKETING_TEST_REDIS_CLUSTER_URL", raising=False)
    monkeypatch.setenv("TICKETING_REDIS_URL", IN_CONTAINERS.redis_url)

    with pytest.raises(pytest.fail.Exception, match="starts no Redis Cluster"):
        url_of(CLUSTER)
    assert url_of(STANDALONE) == IN_CONTAINERS.redis_url


def test_on_scripts_services_sh_an_unset_url_is_its_loopback_address(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("TICKETING_TEST_SERVICES", raising=False)
    monkeypatch.delenv("TICKETING_TEST_REDIS_CLUSTER_URL", raising=False)

    assert url_of(CLUSTER) == "redis://127.0.0.1:17001/0"


def test_stopping_a_service_fails_loudly_in_containers(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TICKETING_TEST_SERVICES", "containers")

    with pytest.raises(pytest.fail.Exception, match=r"scripts/services\.sh down kafka"):
        stack.services("down", "kafka")
