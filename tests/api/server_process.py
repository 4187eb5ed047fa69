"""A real ``ticketing serve`` process on a free loopback port, for tests that need one."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.support.http import ADMIN_KEY, LOOPBACK, TOKEN_SECRET, free_port
from tests.support.stack import ticketing_command

START_SECONDS = 20
STOP_SECONDS = 15


@contextmanager
def embedded_server(log_path: Path, **settings: str) -> Iterator[str]:
    """Serves the embedded backends whatever the environment sets (``make test`` exports the
    real stack's settings); yields the base URL once ``/health/live`` answers. The limits
    against bots are a deployment's defaults unless ``settings`` (``TICKETING_*`` variables)
    say otherwise: a crowd sent by one test process comes from one address."""
    port = free_port()
    environment = (
        {name: value for name, value in os.environ.items() if not name.startswith("TICKETING_")}
        | {
            "TICKETING_ADMIN_KEY": ADMIN_KEY,
            "TICKETING_TOKEN_SECRET": TOKEN_SECRET,
            "TICKETING_HOST": LOOPBACK,
            "TICKETING_PORT": str(port),
        }
        | settings
    )
    with log_path.open("w") as log:
        process = subprocess.Popen(
            ticketing_command("serve"),
            env=environment,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: granian's worker is a child that must go down with it.
            start_new_session=True,
        )
        try:
            base = f"http://{LOOPBACK}:{port}"
            _wait_until_live(base, process, log_path)
            yield base
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def _wait_until_live(base: str, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(f"{base}/health/live", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server did not come up:\n{log_path.read_text()}")
