"""``ticketing`` processes configured for the real stack, and scripts/services.sh itself."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import IO

import pytest

from tests.support.services import CONTAINERS, MODE_VARIABLE, services_mode
from ticketing_entrypoints.settings import Settings, variable

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "scripts" / "services.sh"


def stack_environment(settings: Settings) -> dict[str, str]:
    """The environment of a process of the real stack configured like ``settings`` says."""
    return {
        **os.environ,
        "TICKETING_DATABASE_URL": settings.required("database_url"),
        "TICKETING_KAFKA_BOOTSTRAP": settings.required("kafka_bootstrap"),
        "TICKETING_KAFKA_TOPIC": settings.kafka_topic,
        "TICKETING_KAFKA_DEAD_LETTER_TOPIC": settings.kafka_dead_letter_topic,
        "TICKETING_KAFKA_GROUP": settings.kafka_group,
        "TICKETING_WORKER_BATCH_SIZE": str(settings.worker_batch_size),
        "TICKETING_RATE_LIMITS": str(settings.rate_limits).lower(),
        "TICKETING_TRUSTED_PROXIES": settings.trusted_proxies,
        "TICKETING_STREAMS_PER_ADDRESS": str(settings.streams_per_address),
        **{
            variable(name): str(getattr(settings, name))
            for name in Settings.model_fields
            if name.startswith("limit_")
        },
    }


def ticketing_command(*arguments: str) -> list[str]:
    """The ``ticketing`` command line of this virtualenv."""
    return [str(Path(sys.executable).with_name("ticketing")), *arguments]


def worker_process(settings: Settings, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """``ticketing worker`` as its own process, configured like ``settings`` says; its output
    goes to ``log`` when given."""
    return subprocess.Popen(
        ticketing_command("worker"),
        env=stack_environment(settings),
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else None,
    )


def services(action: str, service: str) -> None:
    """Blocking: ``scripts/services.sh ACTION SERVICE`` (``up`` / ``down``), which must succeed.

    These are the shared services: other tests using them at that moment see it too. With
    the services in containers there is no such service to stop: the test fails, loudly."""
    if services_mode(os.environ) == CONTAINERS:
        pytest.fail(
            f"this test runs `scripts/services.sh {action} {service}`, which has nothing to "
            f"act on with {MODE_VARIABLE}={CONTAINERS}: run it on scripts/services.sh",
            pytrace=False,
        )
    done = subprocess.run(
        [str(SERVICES), action, service], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, f"services.sh {action} {service} failed:\n{done.stderr[-3000:]}"
