"""An API on the full stack reads its Redis's persistence at start and refuses, in one line, a
Redis that would lose acknowledged holds in a crash, unless the operator says the loss is
accepted; the Redis-only mode only warns."""

from __future__ import annotations

import asyncio
import os
import signal
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.e2e.test_startup_errors import SECRETS, refusal
from tests.support.http import LOOPBACK, free_port
from tests.support.private_redis import PrivateRedis, private_redis
from tests.support.stack import ticketing_command
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio
READY_WITHIN = 60.0
STOP_WITHIN = 30.0


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[PrivateRedis]:
    with private_redis(tmp_path / "services") as server:
        yield server


@pytest.fixture
def stack_settings_on(
    own_redis: PrivateRedis, database_url: str, kafka_bootstrap: str
) -> dict[str, str]:
    return {
        "TICKETING_REDIS_URL": own_redis.url,
        "TICKETING_DATABASE_URL": database_url,
        "TICKETING_KAFKA_BOOTSTRAP": kafka_bootstrap,
        "TICKETING_PORT": "0",
        **SECRETS,
    }


def test_the_stack_refuses_a_redis_without_an_append_only_file(
    own_redis: PrivateRedis, stack_settings_on: dict[str, str]
) -> None:
    own_redis.client().config_set("appendonly", "no")

    line = refusal("serve", stack_settings_on)

    assert "would lose acknowledged holds and queue places in a crash" in line
    assert f"127.0.0.1:{own_redis.port} has appendonly no" in line
    assert "set TICKETING_ALLOW_VOLATILE_REDIS=true" in line


def test_the_stack_refuses_a_redis_that_syncs_its_file_once_a_second(
    own_redis: PrivateRedis, stack_settings_on: dict[str, str]
) -> None:
    own_redis.client().config_set("appendfsync", "everysec")

    line = refusal("serve", stack_settings_on)

    assert f"127.0.0.1:{own_redis.port} has appendfsync everysec" in line


async def test_the_operator_may_accept_a_volatile_redis_and_is_warned(
    own_redis: PrivateRedis, stack_settings_on: dict[str, str], tmp_path: Path
) -> None:
    own_redis.client().config_set("appendonly", "no")

    output = await served(
        {**stack_settings_on, "TICKETING_ALLOW_VOLATILE_REDIS": "true"}, tmp_path / "api.log"
    )

    assert "ticketing serve: warning: Redis at TICKETING_REDIS_URL loses acknowledged" in output


async def test_the_redis_only_mode_serves_on_a_volatile_redis_with_a_warning(
    own_redis: PrivateRedis, tmp_path: Path
) -> None:
    own_redis.client().config_set("appendonly", "no")
    settings = {"TICKETING_REDIS_URL": own_redis.url, **SECRETS}

    output = await served(settings, tmp_path / "api.log")

    assert f"127.0.0.1:{own_redis.port} has appendonly no" in output


async def test_the_stack_serves_on_a_durable_redis_without_a_warning(
    stack_settings_on: dict[str, str], tmp_path: Path
) -> None:
    output = await served(stack_settings_on, tmp_path / "api.log")

    assert "warning" not in output.split("Listening", 1)[0].lower()


async def served(settings: dict[str, str], log: Path) -> str:
    """Starts ``ticketing serve`` with only ``settings`` of the TICKETING_* variables, waits
    until it is ready, stops it, and answers what it printed."""
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("TICKETING_")
    }
    port = free_port()
    environment.update({**settings, "TICKETING_HOST": LOOPBACK, "TICKETING_PORT": str(port)})
    api = await asyncio.create_subprocess_exec(
        *ticketing_command("serve"),
        env=environment,
        stdout=await asyncio.to_thread(log.open, "wb"),
        stderr=asyncio.subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        async with httpx.AsyncClient(base_url=f"http://{LOOPBACK}:{port}", timeout=5) as client:

            async def ready() -> bool:
                if api.returncode is not None:
                    output = await asyncio.to_thread(log.read_text)
                    raise AssertionError(f"serve ended ({api.returncode}):\n{output}")
                try:
                    return (await client.get("/health/ready")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(ready, within=READY_WITHIN, every=0.1, what="the API ready")
    finally:
        api.terminate()
        try:
            await asyncio.wait_for(api.wait(), STOP_WITHIN)
        except TimeoutError:
            os.killpg(api.pid, signal.SIGKILL)
            await api.wait()
    return await asyncio.to_thread(log.read_text)


async def test_a_redis_that_forbids_config_get_is_served_with_a_warning(
    own_redis: PrivateRedis, stack_settings_on: dict[str, str], tmp_path: Path
) -> None:
    # As on managed Redis: INFO answers, CONFIG is refused.
    own_redis.client().acl_setuser(
        "app",
        enabled=True,
        passwords=["+secret"],
        keys=["*"],
        channels=["*"],
        commands=["+@all", "-config"],
    )
    url = own_redis.url.replace("redis://", "redis://app:secret@")

    output = await served({**stack_settings_on, "TICKETING_REDIS_URL": url}, tmp_path / "api.log")

    assert "cannot tell whether Redis at TICKETING_REDIS_URL syncs every write" in output
    assert "appendfsync unreadable (CONFIG GET refused)" in output
