"""A Redis of one test's own, started and restarted by the project's script
(``scripts/services.sh`` with a private state directory and port), so that a test may kill,
pause or reconfigure it without touching the Redis every other test shares."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path

import redis

from tests.support.http import LOOPBACK, free_port
from tests.support.stack import SERVICES


@dataclass(frozen=True)
class PrivateRedis:
    state: Path
    port: int

    @property
    def url(self) -> str:
        return f"redis://{LOOPBACK}:{self.port}/0"

    def up(self) -> None:
        """Blocking: ``scripts/services.sh up redis`` (returns once it answers PING)."""
        self._script("up")

    def down(self) -> None:
        self._script("down")

    def pid(self) -> int:
        return int((self.state / "redis" / "redis.pid").read_text().strip())

    def signal(self, signum: signal.Signals) -> None:
        os.kill(self.pid(), signum)

    def client(self) -> redis.Redis:
        return redis.Redis(host=LOOPBACK, port=self.port, decode_responses=True)

    def _script(self, action: str) -> None:
        environment = {
            **os.environ,
            "SERVICES_DIR": str(self.state),
            "SERVICES_REDIS_PORT": str(self.port),
        }
        done = subprocess.run(
            [str(SERVICES), action, "redis"],
            env=environment,
            check=False,
            capture_output=True,
            text=True,
        )
        assert done.returncode == 0, f"services.sh {action} redis failed:\n{done.stderr[-3000:]}"


@contextmanager
def private_redis(state: Path) -> Iterator[PrivateRedis]:
    """A running private Redis, configured as the stack's (AOF, ``appendfsync always``); it is
    stopped at the end, resumed first if the test left it paused."""
    server = PrivateRedis(state, free_port())
    server.up()
    try:
        yield server
    finally:
        with suppress(ProcessLookupError, FileNotFoundError, ValueError):
            server.signal(signal.SIGCONT)
        server.down()
