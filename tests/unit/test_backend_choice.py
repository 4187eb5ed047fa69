"""Which deployment the settings choose, and the combinations refused before anything opens."""

from __future__ import annotations

import argparse

import pytest

from ticketing_entrypoints.backends import BackendsMisconfigured, Deployment, deployment_of
from ticketing_entrypoints.cli import serve
from ticketing_entrypoints.settings import Settings

REDIS = "redis://127.0.0.1:16379/0"
KAFKA = "127.0.0.1:19092"
DATABASE = "postgresql://ticketing@127.0.0.1:15432/ticketing"


def settings(
    redis: str | None = None, kafka: str | None = None, database: str | None = None
) -> Settings:
    return Settings(redis_url=redis, kafka_bootstrap=kafka, database_url=database)


@pytest.mark.parametrize(
    ("chosen", "expected"),
    [
        (settings(), Deployment.EMBEDDED),
        (settings(REDIS), Deployment.REDIS),
        (settings(REDIS, KAFKA, DATABASE), Deployment.STACK),
    ],
)
def test_the_backend_settings_choose_the_deployment(chosen: Settings, expected: Deployment) -> None:
    assert deployment_of(chosen) is expected


@pytest.mark.parametrize(
    "chosen", [settings(kafka=KAFKA), settings(database=DATABASE), settings(None, KAFKA, DATABASE)]
)
def test_kafka_or_postgresql_without_redis_is_refused(chosen: Settings) -> None:
    with pytest.raises(BackendsMisconfigured, match="need TICKETING_REDIS_URL"):
        deployment_of(chosen)


@pytest.mark.parametrize(
    ("chosen", "missing"),
    [
        (settings(REDIS, kafka=KAFKA), "TICKETING_DATABASE_URL"),
        (settings(REDIS, database=DATABASE), "TICKETING_KAFKA_BOOTSTRAP"),
    ],
)
def test_kafka_and_postgresql_come_together(chosen: Settings, missing: str) -> None:
    with pytest.raises(BackendsMisconfigured, match=f"{missing} is not set"):
        deployment_of(chosen)


def test_serve_refuses_a_stack_without_redis_in_one_line_before_serving(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("TICKETING_REDIS_URL", raising=False)
    monkeypatch.setenv("TICKETING_KAFKA_BOOTSTRAP", KAFKA)
    monkeypatch.setenv("TICKETING_DATABASE_URL", DATABASE)

    with pytest.raises(SystemExit) as exited:
        serve.run(argparse.Namespace(host=None, port=None, workers=None))

    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert error.startswith("ticketing serve: TICKETING_KAFKA_BOOTSTRAP and TICKETING_DATABASE_URL")
    assert error.count("\n") == 1
