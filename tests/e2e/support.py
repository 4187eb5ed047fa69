"""The real stack as separate processes, and buyers driving it over HTTP.

``Stack`` runs the commands a deployment runs (``ticketing migrate``, ``serve``, ``worker``,
``reconcile``) as processes of their own, configured through ``TICKETING_*`` variables with
this test's own PostgreSQL schema, Kafka topics and consumer group. ``Shop`` is what a buyer's
client does over HTTP; ``Crowd`` is buyers arriving steadily while a test breaks something.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx

from tests.support.http import (
    ADMIN,
    ADMIN_KEY,
    LOOPBACK,
    TOKEN_SECRET,
    free_port,
    queue_token,
    unique_event_id,
)
from tests.support.kafka_topics import unconsumed
from tests.support.stack import stack_environment, ticketing_command, worker_process
from tests.support.waiting import eventually
from ticketing_adapters.postgres import PostgresReservationRepository, open_pool
from ticketing_adapters.redis.client import RedisClient, open_client
from ticketing_adapters.redis.restore import outbox_backlog
from ticketing_core.model import Reservation
from ticketing_entrypoints.settings import Settings

STOP_SECONDS = 20
"""How long a process may take to stop after SIGTERM before it is killed."""


@dataclass
class Stack:
    settings: Settings
    """Where the processes find PostgreSQL (this test's schema) and Kafka (its topics)."""
    redis_url: str
    redis: RedisClient
    record: PostgresReservationRepository
    """The durable record, read directly (the test's view of PostgreSQL)."""
    logs: Path
    relay_in_worker: bool = False
    """The API leaves the outbox relay (``TICKETING_API_RELAY=false``) to ``ticketing worker
    --relay``, as a deployment that takes the relay off its API processes does."""
    api_url: str = ""
    """The first API instance's (``api``); every instance's is in ``api_urls``."""
    api_urls: dict[str, str] = field(default_factory=dict)
    processes: dict[str, subprocess.Popen[bytes]] = field(default_factory=dict)

    def environment(self) -> dict[str, str]:
        return {
            **stack_environment(self.settings),
            "TICKETING_REDIS_URL": self.redis_url,
            "TICKETING_REDIS_CLUSTER": "false",
            "TICKETING_ADMIN_KEY": ADMIN_KEY,
            "TICKETING_TOKEN_SECRET": TOKEN_SECRET,
        }

    def run(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        """Blocking: a ``ticketing`` command to its end (at most two minutes)."""
        return subprocess.run(
            ticketing_command(*arguments),
            env=self.environment(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def start_api(self, name: str = "api") -> subprocess.Popen[bytes]:
        """``ticketing serve`` on a free loopback port (its own process group: granian's
        worker is a child that must go down with it); another instance under another name."""
        port = free_port()
        self.api_urls[name] = f"http://{LOOPBACK}:{port}"
        if name == "api":
            self.api_url = self.api_urls[name]
        environment = {
            **self.environment(),
            "TICKETING_HOST": LOOPBACK,
            "TICKETING_PORT": str(port),
            "TICKETING_API_RELAY": str(not self.relay_in_worker).lower(),
        }
        api = subprocess.Popen(
            ticketing_command("serve"),
            env=environment,
            stdout=self._log(name),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes[name] = api
        return api

    def start_worker(self) -> subprocess.Popen[bytes]:
        name = f"worker-{sum(1 for n in self.processes if n.startswith('worker'))}"
        if self.relay_in_worker:
            log = self._log(name)
            worker = subprocess.Popen(
                ticketing_command("worker", "--relay"),
                env=self.environment(),
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        else:
            worker = worker_process(self.settings, log=self._log(name))
        self.processes[name] = worker
        return worker

    async def reconcile(self, event_id: str, *, repair: bool = False) -> tuple[int, str]:
        """``ticketing reconcile --event ID [--repair]``: exit code and what it printed."""
        return await self.command("reconcile", "--event", event_id, *(["--repair"] * repair))

    async def archive(self, event_id: str) -> tuple[int, str]:
        """``ticketing archive --event ID``: exit code and what it printed."""
        return await self.command("archive", "--event", event_id)

    async def command(self, *arguments: str) -> tuple[int, str]:
        done = await asyncio.to_thread(self.run, *arguments)
        return done.returncode, done.stdout + done.stderr

    async def stop(self, process: subprocess.Popen[bytes]) -> int:
        """SIGTERM, and SIGKILL for the whole group if it does not stop in time."""
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
        try:
            return await asyncio.to_thread(process.wait, STOP_SECONDS)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.kill()
            return await asyncio.to_thread(process.wait)

    def log_tails(self, lines: int = 40) -> str:
        tails = []
        for log in sorted(self.logs.glob("*.log")):
            text = log.read_text(errors="replace").splitlines()[-lines:]
            tails.append(f"--- {log.name} (last {lines} lines)\n" + "\n".join(text))
        return "\n".join(tails)

    async def drained(self, event_id: str) -> bool:
        """Every change the API recorded has reached PostgreSQL or the dead-letter topic:
        the event's outbox in Redis is empty and the workers' group has no lag."""
        if await outbox_backlog(self.redis, event_id):
            return False
        behind = await asyncio.to_thread(
            unconsumed,
            self.settings.required("kafka_bootstrap"),
            self.settings.kafka_group,
            self.settings.kafka_topic,
        )
        return behind == 0

    def _log(self, name: str) -> IO[bytes]:
        return (self.logs / f"{name}.log").open("ab")


READY_WITHIN = 60.0


@asynccontextmanager
async def running_stack(
    process_settings: Settings, redis_url: str, logs: Path, *, relay_in_worker: bool = False
) -> AsyncIterator[Stack]:
    redis = open_client(redis_url, cluster=False)
    async with open_pool(process_settings.required("database_url"), max_size=4) as pool:
        stack = Stack(
            settings=process_settings,
            redis_url=redis_url,
            redis=redis,
            record=PostgresReservationRepository(pool),
            logs=logs,
            relay_in_worker=relay_in_worker,
        )
        migrated = await asyncio.to_thread(stack.run, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        assert migrated.stdout.startswith("applied migrations"), migrated.stdout
        stack.start_api()
        stack.start_worker()
        try:
            await wait_ready(stack)
            yield stack
        finally:
            crashed = {
                name: process.returncode
                for name, process in stack.processes.items()
                if process.poll() is not None and process.returncode not in (0, -9)
            }
            for process in stack.processes.values():
                await stack.stop(process)
            print(stack.log_tails())
            await redis.aclose()
            assert not crashed, f"processes that ended on their own: {crashed}"


async def wait_ready(stack: Stack, name: str = "api") -> None:
    """Until the API instance ``name`` answers ready."""
    async with httpx.AsyncClient(base_url=stack.api_urls[name], timeout=5) as client:

        async def ready() -> bool:
            try:
                response = await client.get("/health/ready")
            except httpx.TransportError:
                return False
            return response.status_code == 200

        try:
            await eventually(ready, within=READY_WITHIN, every=0.1)
        except AssertionError:
            raise AssertionError(f"the API is not ready:\n{stack.log_tails()}") from None


@dataclass
class Shop:
    """What buyers' clients (and the organiser's) do over HTTP."""

    api: httpx.AsyncClient

    @classmethod
    @asynccontextmanager
    async def of(cls, stack: Stack) -> AsyncIterator[Shop]:
        """A shop on ``stack``'s API, with room for a crowd's connections."""
        limits = httpx.Limits(max_connections=100)
        async with httpx.AsyncClient(base_url=stack.api_url, limits=limits, timeout=30) as api:
            yield cls(api)

    async def create_event(self, event_id: str, **fields: Any) -> dict[str, Any]:
        body = {"eventId": event_id, "name": "Full-stack sale", **fields}
        response = await self.api.post("/api/v1/events", json=body, headers=ADMIN)
        assert response.status_code == 201, response.text
        event: dict[str, Any] = response.json()
        return event

    async def operate(self, event_id: str, action: str, body: Any = None) -> dict[str, Any]:
        """An operator's change (``pause``, ``seats``, ...), made as ``e2e operator``."""
        headers = {**ADMIN, "X-Operator": "e2e operator"}
        response = await self.api.post(
            f"/api/v1/events/{event_id}/{action}", json=body, headers=headers
        )
        assert response.status_code == 200, response.text
        event: dict[str, Any] = response.json()
        return event

    async def recorded_changes(self, event_id: str, count: int) -> list[dict[str, Any]]:
        """The event's record of changes, once it lists ``count`` (the worker stores them)."""
        listed: list[dict[str, Any]] = []

        async def all_recorded() -> bool:
            nonlocal listed
            response = await self.api.get(f"/api/v1/events/{event_id}/changes", headers=ADMIN)
            assert response.status_code == 200, response.text
            listed = response.json()
            return len(listed) >= count

        await eventually(all_recorded, within=60, what=f"{count} changes recorded")
        return listed

    async def stats(self, event_id: str) -> dict[str, Any]:
        response = await self.api.get(f"/api/v1/events/{event_id}")
        assert response.status_code == 200, response.text
        stats: dict[str, Any] = response.json()["stats"]
        return stats

    async def enter(self, event_id: str, user_id: str) -> str:
        response = await self.api.post(
            "/api/v1/queue/enter", json={"eventId": event_id, "userId": user_id}
        )
        assert response.status_code == 200, response.text
        token: str = response.json()["token"]
        return token

    async def admitted(self, token: str, within: float = 30.0) -> None:
        """Polls the status until the user is admitted (waiting until then, nothing else)."""

        async def is_admitted() -> bool:
            response = await self.api.get("/api/v1/queue/status", headers=queue_token(token))
            assert response.status_code == 200, response.text
            status = response.json()["status"]
            assert status in ("WAITING", "ADMITTED"), response.text
            return bool(status == "ADMITTED")

        await eventually(is_admitted, within=within, what="the buyer is admitted")

    async def admitted_by_stream(self, token: str, within: float = 30.0) -> list[str]:
        """Follows the position stream until it ends; answers its events (the last must be
        ``admitted``)."""
        events: list[str] = []
        async with asyncio.timeout(within):
            params = {"token": token}
            async with self.api.stream("GET", "/api/v1/queue/stream", params=params) as stream:
                assert stream.status_code == 200
                async for line in stream.aiter_lines():
                    if line.startswith("event: "):
                        events.append(line.removeprefix("event: "))
        assert events[-1:] == ["admitted"], events
        return events

    async def reserve(self, token: str, event_id: str, quantity: int = 1) -> httpx.Response:
        return await self.api.post(
            "/api/v1/tickets/reserve",
            json={"eventId": event_id, "quantity": quantity},
            headers=queue_token(token),
        )

    async def move(self, token: str, reservation_id: str, action: str) -> dict[str, Any]:
        """``confirm`` or ``cancel``; must succeed."""
        response = await self.api.post(
            f"/api/v1/tickets/{reservation_id}/{action}", headers=queue_token(token)
        )
        assert response.status_code == 200, response.text
        reservation: dict[str, Any] = response.json()
        return reservation

    async def read(self, token: str, reservation_id: str) -> httpx.Response:
        return await self.api.get(f"/api/v1/tickets/{reservation_id}", headers=queue_token(token))


@dataclass
class Crowd:
    """Buyers arriving steadily over HTTP until told to stop, in ``lanes`` at a time: each
    enters, waits for admission, holds one seat; every third confirms it."""

    shop: Shop
    event_id: str
    lanes: int = 8
    acknowledged: dict[str, str] = field(default_factory=dict)
    """Reservation id -> the status the API last answered for it (202 PENDING, 200 CONFIRMED)."""
    refusals: Counter[str] = field(default_factory=Counter)

    @property
    def holds(self) -> int:
        return len(self.acknowledged)

    async def run(self, stop: asyncio.Event) -> None:
        await asyncio.gather(*(self._lane(lane, stop) for lane in range(self.lanes)))

    async def _lane(self, lane: int, stop: asyncio.Event) -> None:
        shop, buyer = self.shop, 0
        while not stop.is_set():
            buyer += 1
            token = await shop.enter(self.event_id, f"lane{lane}-buyer{buyer}")
            await shop.admitted(token)
            response = await shop.reserve(token, self.event_id)
            if response.status_code != 202:
                self.refusals[response.json().get("code", str(response.status_code))] += 1
                continue
            reservation_id = response.json()["reservationId"]
            self.acknowledged[reservation_id] = "PENDING"
            if buyer % 3 == 0:
                confirmed = await shop.move(token, reservation_id, "confirm")
                self.acknowledged[reservation_id] = confirmed["status"]

    async def until_holds(self, count: int, within: float = 60.0) -> None:
        async def enough() -> bool:
            return self.holds >= count

        await eventually(enough, within=within, every=0.05)


async def stored(record: PostgresReservationRepository, event_id: str) -> dict[str, Reservation]:
    return {r.reservation_id: r for r in await record.reservations_of(event_id)}


async def settle(
    stack: Stack, event_id: str, acknowledged: Mapping[str, str], within: float = 120.0
) -> dict[str, Reservation]:
    """Waits until the stream is drained and PostgreSQL holds exactly the acknowledged
    reservations in the statuses the API answered; answers PostgreSQL's rows."""

    async def caught_up() -> bool:
        if not await stack.drained(event_id):
            return False
        rows = await stored(stack.record, event_id)
        return {id_: r.status.value for id_, r in rows.items()} == dict(acknowledged)

    try:
        await eventually(caught_up, within=within, every=0.5)
    except AssertionError:
        rows = await stored(stack.record, event_id)
        missing = set(acknowledged) - set(rows)
        unexpected = set(rows) - set(acknowledged)
        differing = {
            id_ for id_ in set(rows) & set(acknowledged) if rows[id_].status != acknowledged[id_]
        }
        raise AssertionError(
            f"PostgreSQL not caught up after {within} s: {len(rows)} rows for "
            f"{len(acknowledged)} acknowledged; {len(missing)} missing, {len(unexpected)} "
            f"unexpected, {len(differing)} in another status"
        ) from None
    return await stored(stack.record, event_id)


async def assert_seats_add_up(
    stack: Stack, shop: Shop, event_id: str, total: int, rows: Iterable[Reservation]
) -> None:
    """No seat oversold: Redis (as the API reports it) adds up to the total, agrees with the
    reservations PostgreSQL holds, and ``ticketing reconcile`` finds no drift."""
    stats = await shop.stats(event_id)
    held = Counter[str]()
    for row in rows:
        held[row.status.value] += row.quantity
    assert stats["remainingSeats"] >= 0
    assert stats["remainingSeats"] + stats["pendingSeats"] + stats["confirmedSeats"] == total
    assert (stats["pendingSeats"], stats["confirmedSeats"]) == (held["PENDING"], held["CONFIRMED"])
    code, report = await stack.reconcile(event_id)
    assert code == 0, report
    assert "Redis agrees" in report


LARGE_SALE_SEATS = 100_000
"""Seats of a sale that no test's crowd sells out: every buyer gets a hold."""


@contextlib.asynccontextmanager
async def buying_crowd(shop: Shop, name: str) -> AsyncIterator[Crowd]:
    """A sale of ``LARGE_SALE_SEATS`` (its id is the crowd's ``event_id``) and a ``Crowd``
    buying from it until the block ends, however it ends."""
    event_id = unique_event_id(name)
    await shop.create_event(
        event_id,
        totalSeats=LARGE_SALE_SEATS,
        admissionRatePerSecond=10_000,
        maxActiveUsers=10_000,
    )
    crowd, stop = Crowd(shop, event_id), asyncio.Event()
    buying = asyncio.create_task(crowd.run(stop))
    try:
        yield crowd
    finally:
        stop.set()
        await buying
