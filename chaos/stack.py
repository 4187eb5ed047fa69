"""The campaign's stack: a Redis of its own (started and restarted by ``scripts/services.sh``
with a private state directory), the shared PostgreSQL and Kafka with a schema, topics and a
consumer group of the run's own, two API instances and two workers, each in its own process
group so that a signal reaches all of its processes."""

from __future__ import annotations

import os
import signal
import subprocess
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg
from bench.stack import delete_topics, services_environment, with_search_path
from tests.support.http import ADMIN_KEY, LOOPBACK, TOKEN_SECRET, free_port
from tests.support.private_redis import PrivateRedis
from tests.support.stack import SERVICES, ticketing_command

APIS = ("api-0", "api-1")
WORKERS = ("worker-0", "worker-1")
STOP_SECONDS = 20


@dataclass
class ChaosStack:
    workdir: Path
    redis: PrivateRedis
    base_database_url: str
    kafka_bootstrap: str
    run_id: str = field(default_factory=lambda: uuid.uuid4().hex[:8])
    ports: dict[str, int] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    @property
    def schema(self) -> str:
        return f"chaos_{self.run_id}"

    @property
    def database_url(self) -> str:
        return with_search_path(self.base_database_url, self.schema)

    @property
    def topic(self) -> str:
        return f"chaos.{self.run_id}.reservations"

    def url(self, api: str) -> str:
        return f"http://{LOOPBACK}:{self.ports[api]}"

    def environment(self) -> dict[str, str]:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TICKETING_")}
        env.update(
            TICKETING_ADMIN_KEY=ADMIN_KEY,
            TICKETING_TOKEN_SECRET=TOKEN_SECRET,
            TICKETING_REDIS_URL=self.redis.url,
            TICKETING_DATABASE_URL=self.database_url,
            TICKETING_KAFKA_BOOTSTRAP=self.kafka_bootstrap,
            TICKETING_KAFKA_TOPIC=self.topic,
            TICKETING_KAFKA_DEAD_LETTER_TOPIC=f"{self.topic}.dlq",
            TICKETING_KAFKA_GROUP=f"chaos-{self.run_id}",
            TICKETING_HOST=LOOPBACK,
        )
        return env

    def open(self) -> None:
        with psycopg.connect(self.base_database_url, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{self.schema}"'.encode())
        subprocess.run(
            ticketing_command("migrate"), env=self.environment(), check=True, capture_output=True
        )
        for api in APIS:
            self.ports[api] = free_port()
            self.start(api)
        for worker in WORKERS:
            self.start(worker)

    def start(self, name: str) -> None:
        """Starts (or starts again, on the same port) the API instance or worker ``name``."""
        env = self.environment()
        if name in APIS:
            command = ticketing_command("serve")
            env["TICKETING_PORT"] = str(self.ports[name])
        else:
            command = ticketing_command("worker")
        with (self.workdir / f"{name}.log").open("ab") as log:
            self.processes[name] = subprocess.Popen(
                command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )

    def revive(self) -> None:
        """As a supervisor would: starts again every process that ended (an API started while
        Redis was down refuses to start, exit code 2, and must be tried again)."""
        for name, process in list(self.processes.items()):
            if process.poll() is not None:
                self.start(name)

    def revived_and_ready(self, api: str) -> bool:
        self.revive()
        return self.ready(api)

    def signal(self, name: str, signum: signal.Signals) -> None:
        """``signum`` to the process group of ``name`` (its granian worker too)."""
        os.killpg(self.processes[name].pid, signum)

    def ready(self, api: str) -> bool:
        try:
            return httpx.get(f"{self.url(api)}/health/live", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    def close(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                self.signal(name, signal.SIGCONT)
                self.signal(name, signal.SIGTERM)
        for name, process in self.processes.items():
            try:
                process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.signal(name, signal.SIGKILL)
                process.wait()
        with psycopg.connect(self.base_database_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'.encode())
        delete_topics(self.kafka_bootstrap, f"chaos.{self.run_id}.")


def shared_services() -> tuple[str, str]:
    """The shared PostgreSQL's and Kafka's addresses (``scripts/services.sh up all``)."""
    found = services_environment()
    return found["TICKETING_DATABASE_URL"], found["TICKETING_KAFKA_BOOTSTRAP"]


def shared_pid(service: str) -> int:
    done = subprocess.run(
        [str(SERVICES), "pid", service], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"services.sh pid {service}: {done.stderr.strip()}")
    return int(done.stdout.strip())


def shared_up(service: str) -> None:
    done = subprocess.run(
        [str(SERVICES), "up", service], check=False, capture_output=True, text=True
    )
    if done.returncode != 0:
        raise RuntimeError(f"services.sh up {service} failed:\n{done.stderr[-2000:]}")
