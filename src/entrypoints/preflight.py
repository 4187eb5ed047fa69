"""What a command checks before it starts work: every misconfiguration, found at once, said in
one line on stderr, exit code 2, no traceback.

A process that binds its port, says "Listening" and then dies in its lifespan with a
108-line ExceptionGroup tells its operator nothing; so each command asks here first: the
settings parse, the deployment they name is one that works, the secrets it needs are set,
its port is free, and the servers it cannot start without answer.
"""

from __future__ import annotations

import asyncio
import errno
import socket
import sys
from collections.abc import Awaitable, Callable
from typing import NoReturn

import psycopg
from redis.exceptions import RedisError

from ticketing_adapters.redis.client import open_client
from ticketing_adapters.redis.durability import durability
from ticketing_entrypoints.backends import BackendsMisconfigured, Deployment, deployment_of
from ticketing_entrypoints.settings import Settings, SettingsInvalid, read_settings, variable

ANSWER_TIMEOUT_SECONDS = 5.0
"""How long a backend may take to answer its first call before a command gives up on it."""
REFUSED = 2


class StartRefused(Exception):
    """The command cannot start; ``problems`` says why, each in a few words."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def refuse(command: str, error: Exception) -> NoReturn:
    """Ends the process: one line naming the command and every problem, exit code 2."""
    print(f"ticketing {command}: {error}", file=sys.stderr)
    raise SystemExit(REFUSED)


def settings_for(command: str, *required: str) -> Settings:
    """This process's settings, with every one of ``required`` set; or refused in one line."""
    try:
        settings = read_settings()
        settings.require(*required)
        return settings
    except SettingsInvalid as error:
        refuse(command, error)


def ready_settings(command: str, *required: str, redis: bool, postgres: bool) -> Settings:
    """``settings_for`` ``command``, then the servers it needs answering; or refused in one
    line, every problem named."""
    settings = settings_for(command, *required)
    try:
        check_answering(settings, redis=redis, postgres=postgres)
    except StartRefused as error:
        refuse(command, error)
    return settings


def check_serve(settings: Settings, host: str, port: int, workers: int) -> list[str]:
    """Raises ``StartRefused`` with everything that stops ``ticketing serve`` from serving;
    returns what it may serve despite, for the operator to read (one line each)."""
    try:
        deployment = deployment_of(settings)
    except BackendsMisconfigured as error:
        raise StartRefused([str(error)]) from None
    problems = []
    if deployment is Deployment.EMBEDDED:
        if workers > 1:
            problems.append(
                "the embedded (in-memory) mode keeps its state in one process: use one worker "
                f"(--workers / {variable('workers')}), or set {variable('redis_url')}"
            )
    else:
        missing = [
            variable(name)
            for name in ("admin_key", "token_secret")
            if getattr(settings, name) is None
        ]
        if missing:
            problems.append(
                f"{' and '.join(missing)} must be set when instances share external backends "
                "(every instance needs the same values)"
            )
    busy = port_in_use(host, port)
    if busy:
        problems.append(busy)
    unanswering = asyncio.run(
        unanswered(
            settings,
            redis=deployment is not Deployment.EMBEDDED,
            postgres=deployment is Deployment.STACK,
        )
    )
    problems += unanswering
    warnings = []
    if deployment is not Deployment.EMBEDDED and not unanswering:
        volatile, unknown = asyncio.run(_redis_crash_risks(settings))
        if volatile and deployment is Deployment.STACK and not settings.allow_volatile_redis:
            problems.append(
                f"Redis at {variable('redis_url')} would lose acknowledged holds and queue "
                f"places in a crash ({', '.join(volatile)}): run it with appendonly yes and "
                f"appendfsync always, or set {variable('allow_volatile_redis')}=true to "
                "accept that"
            )
        elif volatile:
            warnings.append(
                f"Redis at {variable('redis_url')} loses acknowledged holds and queue places "
                f"in a crash ({', '.join(volatile)})"
            )
        if unknown:
            warnings.append(
                f"cannot tell whether Redis at {variable('redis_url')} syncs every write "
                f"({', '.join(unknown)}): it must run with appendfsync always"
            )
    if problems:
        raise StartRefused(problems)
    if deployment is Deployment.EMBEDDED:
        warnings.append("the embedded (in-memory) mode loses every sale when the process stops")
    return warnings


def check_answering(settings: Settings, *, redis: bool, postgres: bool) -> None:
    """Raises ``StartRefused`` when a server the command needs does not answer."""
    problems = asyncio.run(unanswered(settings, redis=redis, postgres=postgres))
    if problems:
        raise StartRefused(problems)


def port_in_use(host: str, port: int) -> str | None:
    """Why ``host:port`` cannot be bound, or None. Port 0 (any free port) always can."""
    if port == 0:
        return None
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As the server binds: a port left in TIME_WAIT by a stopped server is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return (
                    f"port {port} on {host} is in use by another process: stop it, or pick "
                    f"another port (--port / {variable('port')})"
                )
            return f"cannot bind {host}:{port} ({error.strerror}); check {variable('host')}"
    return None


async def unanswered(settings: Settings, *, redis: bool, postgres: bool) -> list[str]:
    """A line for each needed server that does not answer within ``ANSWER_TIMEOUT_SECONDS``."""
    checks: list[tuple[str, str, Callable[[], Awaitable[None]]]] = []
    if redis and settings.redis_url is not None:
        checks.append(("Redis", variable("redis_url"), lambda: _ping_redis(settings)))
    if postgres and settings.database_url is not None:
        checks.append(("PostgreSQL", variable("database_url"), lambda: _ping_postgres(settings)))
    results = await asyncio.gather(
        *(asyncio.wait_for(check(), ANSWER_TIMEOUT_SECONDS) for _, _, check in checks),
        return_exceptions=True,
    )
    problems = []
    for (name, setting, _), result in zip(checks, results, strict=True):
        if isinstance(result, BaseException):
            reason = (
                "no answer in time" if isinstance(result, TimeoutError) else _first_line(result)
            )
            problems.append(f"{name} at {setting} does not answer: {reason}")
    return problems


async def _ping_redis(settings: Settings) -> None:
    assert settings.redis_url is not None
    client = open_client(settings.redis_url, settings.redis_cluster)
    try:
        await client.ping()
    finally:
        await client.aclose()


async def _redis_crash_risks(settings: Settings) -> tuple[list[str], list[str]]:
    """The Redis nodes whose acknowledged writes a crash would lose, and those that would not
    say (their ``CONFIG GET`` refused), each described."""
    assert settings.redis_url is not None
    client = open_client(settings.redis_url, settings.redis_cluster)
    try:
        nodes = await asyncio.wait_for(durability(client), ANSWER_TIMEOUT_SECONDS)
    except (RedisError, TimeoutError) as error:
        reason = "no answer in time" if isinstance(error, TimeoutError) else _first_line(error)
        return [], [f"its persistence could not be read: {reason}"]
    finally:
        await client.aclose()
    volatile = [node.describe() for node in nodes if node.survives_a_crash is False]
    unknown = [node.describe() for node in nodes if node.survives_a_crash is None]
    return volatile, unknown


async def _ping_postgres(settings: Settings) -> None:
    assert settings.database_url is not None
    connection = await psycopg.AsyncConnection.connect(
        settings.database_url, connect_timeout=int(ANSWER_TIMEOUT_SECONDS)
    )
    await connection.close()


def _first_line(error: BaseException) -> str:
    text = str(error).strip() or type(error).__name__
    return text.splitlines()[0]
