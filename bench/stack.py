"""The backends and servers of one benchmark run, all on loopback.

Redis is a private ``redis-server`` of the run (the shared one serves other people's tests,
whose commands would blur the commands/s measured here and whose events the drivers would
tick). PostgreSQL and Kafka are the shared services of ``scripts/services.sh``, with a schema,
topics and a consumer group of the run's own, removed at the end.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import psycopg
import redis
from confluent_kafka.admin import AdminClient

from bench.procs import LOOPBACK, Process, Processes, free_port, wait_http
from bench.tools import ROOT

ADMIN_KEY = "bench-admin-key-0123456789abcdef0123"
TOKEN_SECRET = "bench-token-secret-0123456789abcdef0123456789abcdef"
TICKETING = str(Path(sys.executable).with_name("ticketing"))


@dataclass(frozen=True)
class Stack:
    run_id: str
    redis_url: str
    redis_pid: int
    """The run's private redis-server (its CPU time is measured)."""
    database_url: str
    """With the run's own schema as the search path."""
    kafka_bootstrap: str
    topic: str
    dead_letter_topic: str
    group: str

    def redis(self) -> redis.Redis:
        return redis.Redis.from_url(self.redis_url)

    def environment(self, deployment: str, **extra: str) -> dict[str, str]:
        """The environment of an API or worker process of ``deployment`` (memory, redis or
        stack): this one's, without any TICKETING_* setting it did not choose."""
        env = {key: value for key, value in os.environ.items() if not key.startswith("TICKETING_")}
        env.update(TICKETING_ADMIN_KEY=ADMIN_KEY, TICKETING_TOKEN_SECRET=TOKEN_SECRET)
        # One load generator is one address: its crowd would spend any real budget at once.
        # The scenario ``limits`` measures what the budgets cost with them on.
        env["TICKETING_RATE_LIMITS"] = "false"
        if deployment in ("redis", "stack"):
            env["TICKETING_REDIS_URL"] = self.redis_url
        if deployment == "stack":
            env.update(
                TICKETING_DATABASE_URL=self.database_url,
                TICKETING_KAFKA_BOOTSTRAP=self.kafka_bootstrap,
                TICKETING_KAFKA_TOPIC=self.topic,
                TICKETING_KAFKA_DEAD_LETTER_TOPIC=self.dead_letter_topic,
                TICKETING_KAFKA_GROUP=self.group,
            )
        env.update(extra)
        return env


def services_environment() -> dict[str, str]:
    """TICKETING_DATABASE_URL and TICKETING_KAFKA_BOOTSTRAP: from the environment (``make
    bench`` evaluates ``scripts/services.sh up all``), else from the script itself."""
    wanted = ("TICKETING_DATABASE_URL", "TICKETING_KAFKA_BOOTSTRAP")
    if all(os.environ.get(name) for name in wanted):
        return {name: os.environ[name] for name in wanted}
    print("starting the services (scripts/services.sh up all)", flush=True)
    done = subprocess.run(
        [str(ROOT / "scripts" / "services.sh"), "up", "all"],
        check=True,
        capture_output=True,
        text=True,
    )
    found = dict(
        line.removeprefix("export ").split("=", 1)
        for line in done.stdout.splitlines()
        if line.startswith("export ")
    )
    return {name: found[name] for name in wanted}


@contextmanager
def open_stack(processes: Processes, workdir: Path) -> Iterator[Stack]:
    services = services_environment()
    run_id = uuid.uuid4().hex[:8]
    redis_server = start_redis(processes, workdir)
    schema = f"bench_{run_id}"
    database_url = with_search_path(services["TICKETING_DATABASE_URL"], schema)
    with psycopg.connect(services["TICKETING_DATABASE_URL"], autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"'.encode())
    stack = Stack(
        run_id=run_id,
        redis_url=f"redis://{LOOPBACK}:{redis_server[1]}/0",
        redis_pid=redis_server[0].pid,
        database_url=database_url,
        kafka_bootstrap=services["TICKETING_KAFKA_BOOTSTRAP"],
        topic=f"bench.{run_id}.reservations",
        dead_letter_topic=f"bench.{run_id}.reservations.dlq",
        group=f"bench-{run_id}",
    )
    try:
        subprocess.run(
            [TICKETING, "migrate"],
            env=stack.environment("stack"),
            check=True,
            capture_output=True,
        )
        yield stack
    finally:
        processes.stop(redis_server[0])
        with psycopg.connect(services["TICKETING_DATABASE_URL"], autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'.encode())
        delete_topics(stack.kafka_bootstrap, f"bench.{run_id}.")


def delete_topics(bootstrap: str, prefix: str) -> None:
    admin = AdminClient({"bootstrap.servers": bootstrap})
    topics = [name for name in admin.list_topics(timeout=10).topics if name.startswith(prefix)]
    if topics:
        for future in admin.delete_topics(topics).values():
            future.result()


def start_redis(
    processes: Processes, workdir: Path, name: str = "redis", durable: bool = True
) -> tuple[Process, int]:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit(
            "bench: redis-server is missing (scripts/services.sh up redis installs it)"
        )
    port = free_port()
    data = workdir / name
    data.mkdir(parents=True, exist_ok=True)
    command = [binary, "--port", str(port), "--bind", LOOPBACK, "--dir", str(data)]
    # Durable, as the stack requires (docs/full-stack.md): the AOF fsynced on every write.
    # (Not for what may be lost, such as request budgets.)
    command += ["--save", ""]
    if durable:
        command += ["--appendonly", "yes", "--appendfsync", "always"]
    command += ["--maxclients", "30000"]
    process = processes.start(name, command)
    client = redis.Redis(host=LOOPBACK, port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            if process.popen.poll() is not None:
                raise RuntimeError(f"redis-server exited:\n{process.tail()}") from None
            time.sleep(0.1)
    return process, port


def with_search_path(url: str, schema: str) -> str:
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote(f'-csearch_path={schema}')}"


@dataclass(frozen=True)
class Server:
    process: Process
    url: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def worker_pids(self) -> list[int]:
        return self.process.children()


def start_api(
    processes: Processes,
    stack: Stack,
    deployment: str,
    *,
    workers: int = 1,
    name: str = "api",
    settings: Mapping[str, str] | None = None,
) -> Server:
    """``ticketing serve`` on a free port; returns once it is ready."""
    port = free_port()
    env = stack.environment(
        deployment, TICKETING_HOST=LOOPBACK, TICKETING_PORT=str(port), **(settings or {})
    )
    process = processes.start(name, [TICKETING, "serve", "--workers", str(workers)], env)
    url = f"http://{LOOPBACK}:{port}"
    wait_http(f"{url}/health/ready", process)
    return Server(process, url)


def start_baseline(processes: Processes) -> Server:
    port = free_port()
    command = [sys.executable, "-m", "bench.baseline_app", "--port", str(port)]
    process = processes.start("baseline", command)
    url = f"http://{LOOPBACK}:{port}"
    wait_http(f"{url}/baseline", process)
    return Server(process, url)


def start_worker(
    processes: Processes,
    stack: Stack,
    *,
    topic: str | None = None,
    group: str | None = None,
    settings: Mapping[str, str] | None = None,
    relay: bool = False,
    name: str = "worker",
) -> Server:
    """``ticketing worker`` (``--relay`` if asked) with its metrics endpoint; returns once that
    answers."""
    port = free_port()
    extra = {"TICKETING_WORKER_METRICS_PORT": str(port), **(settings or {})}
    if topic is not None:
        extra["TICKETING_KAFKA_TOPIC"] = topic
    if group is not None:
        extra["TICKETING_KAFKA_GROUP"] = group
    command = [TICKETING, "worker", *(["--relay"] if relay else [])]
    process = processes.start(name, command, stack.environment("stack", **extra))
    url = f"http://{LOOPBACK}:{port}"
    wait_http(f"{url}/metrics", process)
    return Server(process, url)
