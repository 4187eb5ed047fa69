"""``scripts/services.sh`` reports, uses and stops only the servers it started itself.

Each test plays another checkout: the script run with a state directory of the test's own
(``SERVICES_DIR``), beside the services this checkout runs. Nothing here starts, stops or
restarts a shared server: the "not ours" paths refuse before they touch anything.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import redis

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "services.sh"
REDIS_URL = os.environ.get("TICKETING_REDIS_URL") or "redis://127.0.0.1:16379/0"
HINT = "not started by this checkout; stop it, run from that checkout or set SERVICES_REDIS_PORT"


def run(
    state_dir: Path | None, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Blocking: the script with ``args``; ``state_dir`` None means this checkout's own state."""
    environment = os.environ | (env or {})
    if state_dir is not None:
        environment["SERVICES_DIR"] = str(state_dir)
    return subprocess.run(
        [str(SCRIPT), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture
def foreign_dir(tmp_path: Path) -> Path:
    """The state directory of another checkout, which started nothing."""
    return tmp_path / "services"


@pytest.fixture(params=["ss", "proc"])
def path_without(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """PATH as it is ("ss"), or with every program but ``ss`` ("proc": the script must then find
    a port's holder in /proc itself)."""
    if request.param == "ss":
        return {}
    bin_dir = tmp_path / "bin-without-ss"
    bin_dir.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        for program in Path(directory).glob("*") if Path(directory).is_dir() else []:
            link = bin_dir / program.name
            if program.name != "ss" and not link.exists() and not link.is_symlink():
                link.symlink_to(program)
    return {"PATH": str(bin_dir)}


@pytest.fixture
def held_port() -> Iterator[int]:
    """A loopback port this test process listens on with a plain socket."""
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        yield listener.getsockname()[1]


def this_process() -> str:
    """How the script names this process as a port's holder: ``pid N (`` and its command."""
    return f"pid {os.getpid()} ({Path('/proc/self/cmdline').read_text().split(chr(0))[0]}"


def test_up_refuses_a_port_held_by_another_process_in_one_line_and_starts_nothing(
    foreign_dir: Path, held_port: int, path_without: dict[str, str]
) -> None:
    env = {"SERVICES_REDIS_PORT": str(held_port)} | path_without

    done = run(foreign_dir, "up", "redis", env=env)

    assert done.returncode == 1, done.stderr
    assert done.stdout == ""  # no settings that would lead a client to that process
    [line] = done.stderr.splitlines()
    assert line.startswith(f"services: ERROR: redis: port {held_port} is held by {this_process()}")
    assert line.endswith(f", cwd {Path.cwd()}), {HINT}")
    assert not (foreign_dir / "redis").exists()


def test_status_and_down_name_the_holder_of_a_port_and_leave_it_alone(
    foreign_dir: Path, held_port: int, path_without: dict[str, str]
) -> None:
    env = {"SERVICES_REDIS_PORT": str(held_port)} | path_without

    status = run(foreign_dir, "status", "redis", env=env)
    down = run(foreign_dir, "down", "redis", env=env)

    assert status.returncode == 3, status.stderr
    assert status.stdout.startswith(f"redis: port {held_port} held by {this_process()}")
    assert status.stdout.endswith("), not ours\n")
    assert down.returncode == 0, down.stderr
    [line] = down.stderr.splitlines()
    assert line.startswith(f"services: redis: port {held_port} is held by {this_process()}")
    assert line.endswith("), not started by this checkout: left running")
    with socket.create_connection(("127.0.0.1", held_port), timeout=5):
        pass  # still listening


@pytest.fixture
def running_redis() -> Iterator[tuple[int, int]]:
    """(port, pid) of the Redis this checkout's services.sh runs, checked to be its own."""
    port = urlsplit(REDIS_URL).port or 6379
    own = run(None, "status", "redis", env={"SERVICES_REDIS_PORT": str(port)})
    match = re.fullmatch(r"redis: up \(ours, pid (\d+)\)\n", own.stdout)
    if match is None:
        pytest.fail(
            f"no Redis of this checkout's scripts/services.sh on port {port} "
            f"({own.stdout.strip()}); start it with `make services`",
            pytrace=False,
        )
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.info("server")["process_id"] == int(match[1])
        yield port, int(match[1])
    finally:
        client.close()


def test_another_checkout_sees_the_running_redis_as_not_ours_and_cannot_stop_it(
    foreign_dir: Path, running_redis: tuple[int, int]
) -> None:
    port, pid = running_redis
    env = {"SERVICES_REDIS_PORT": str(port)}
    holder = f"pid {pid} (redis-server 127.0.0.1:{port}, cwd {ROOT}/.services/redis)"

    status = run(foreign_dir, "status", "redis", env=env)
    up = run(foreign_dir, "up", "redis", env=env)
    down = run(foreign_dir, "down", "redis", env=env)

    assert (status.returncode, status.stdout) == (
        3,
        f"redis: port {port} held by {holder}, not ours\n",
    )
    assert (up.returncode, up.stdout) == (1, "")
    assert up.stderr == f"services: ERROR: redis: port {port} is held by {holder}, {HINT}\n"
    assert down.returncode == 0, down.stderr
    assert down.stderr == (
        f"services: redis: port {port} is held by {holder}, not started by this checkout:"
        " left running\n"
    )
    client = redis.Redis.from_url(REDIS_URL)
    try:
        assert client.ping()
        assert client.info("server")["process_id"] == pid  # the same server, not a restarted one
    finally:
        client.close()
    assert not (foreign_dir / "redis").exists()
