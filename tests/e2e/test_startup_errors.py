"""Every misconfiguration stops a command before it binds a port or starts work: one line on
stderr naming the variable (all of them at once) and what to do, exit code 2, no traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.http import ADMIN_KEY, LOOPBACK, TOKEN_SECRET, free_port

TICKETING = str(Path(sys.executable).with_name("ticketing"))
SECRETS = {"TICKETING_ADMIN_KEY": ADMIN_KEY, "TICKETING_TOKEN_SECRET": TOKEN_SECRET}
REFUSED = 2
GIVE_UP_SECONDS = 60
"""A refused start takes a second or two; one that was not refused would serve forever."""


def refusal(command: str, settings: dict[str, str], *arguments: str) -> str:
    """Runs ``ticketing COMMAND`` with only ``settings`` of the TICKETING_* variables; asserts
    it was refused as a user needs it, and answers its one line."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("TICKETING_")
    }
    environment.update({"TICKETING_HOST": LOOPBACK, **settings})
    try:
        finished = subprocess.run(
            [TICKETING, command, *arguments],
            env=environment,
            capture_output=True,
            text=True,
            timeout=GIVE_UP_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired as still_running:
        raise AssertionError(f"ticketing {command} started instead of refusing") from still_running
    lines = finished.stderr.splitlines()
    assert finished.returncode == REFUSED, finished.stderr
    assert len(lines) == 1, finished.stderr
    assert "Traceback" not in finished.stderr
    assert lines[0].startswith(f"ticketing {command}: "), lines[0]
    assert "Listening" not in finished.stdout + finished.stderr
    return lines[0]


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port another process (this test) listens on."""
    with socket.socket() as listener:
        listener.bind((LOOPBACK, 0))
        listener.listen()
        yield listener.getsockname()[1]


def unanswered_url(scheme: str) -> str:
    """An address on loopback where nothing listens."""
    return f"{scheme}://{LOOPBACK}:{free_port()}"


def test_shared_backends_without_secrets_name_both_variables(stack_redis_url: str) -> None:
    line = refusal("serve", {"TICKETING_REDIS_URL": stack_redis_url, "TICKETING_PORT": "0"})

    assert "TICKETING_ADMIN_KEY and TICKETING_TOKEN_SECRET must be set" in line


def test_every_setting_that_does_not_parse_is_named_at_once() -> None:
    line = refusal("serve", {"TICKETING_PORT": "abc", "TICKETING_WORKERS": "0"})

    assert "TICKETING_PORT: " in line
    assert "'abc'" in line
    assert "TICKETING_WORKERS: " in line


def test_a_port_in_use_is_named_with_what_to_do(held_port: int) -> None:
    line = refusal("serve", {"TICKETING_PORT": str(held_port)})

    assert f"port {held_port} on {LOOPBACK} is in use" in line
    assert "TICKETING_PORT" in line


def test_kafka_and_postgresql_without_redis_are_refused() -> None:
    settings = {
        "TICKETING_KAFKA_BOOTSTRAP": f"{LOOPBACK}:9092",
        "TICKETING_DATABASE_URL": unanswered_url("postgresql"),
        "TICKETING_PORT": "0",
    }

    assert "need TICKETING_REDIS_URL" in refusal("serve", settings)


def test_a_redis_that_does_not_answer_is_named() -> None:
    settings = {"TICKETING_REDIS_URL": unanswered_url("redis"), "TICKETING_PORT": "0", **SECRETS}

    assert "Redis at TICKETING_REDIS_URL does not answer" in refusal("serve", settings)


def test_a_postgresql_that_does_not_answer_is_named_with_everything_else(
    stack_redis_url: str, held_port: int
) -> None:
    settings = {
        "TICKETING_REDIS_URL": stack_redis_url,
        "TICKETING_KAFKA_BOOTSTRAP": f"{LOOPBACK}:9092",
        "TICKETING_DATABASE_URL": unanswered_url("postgresql"),
        "TICKETING_PORT": str(held_port),
    }

    line = refusal("serve", settings)

    assert "PostgreSQL at TICKETING_DATABASE_URL does not answer" in line
    assert f"port {held_port}" in line
    assert "TICKETING_ADMIN_KEY and TICKETING_TOKEN_SECRET must be set" in line


def test_the_worker_names_the_settings_it_lacks() -> None:
    line = refusal("worker", {})

    assert "TICKETING_KAFKA_BOOTSTRAP and TICKETING_DATABASE_URL must be set" in line


def test_the_worker_names_a_database_that_does_not_answer() -> None:
    settings = {
        "TICKETING_KAFKA_BOOTSTRAP": f"{LOOPBACK}:9092",
        "TICKETING_DATABASE_URL": unanswered_url("postgresql"),
    }

    assert "PostgreSQL at TICKETING_DATABASE_URL does not answer" in refusal("worker", settings)


@pytest.mark.parametrize("command", ["reconcile", "archive"])
def test_operations_name_the_settings_they_lack(command: str) -> None:
    line = refusal(command, {}, "--event", "show")

    assert "TICKETING_REDIS_URL and TICKETING_DATABASE_URL must be set" in line
