"""CPU time per request of the hot routes, in process: ``python -m bench.hotpath``.

The app is called as ASGI on one event loop, without sockets or a server, and the process's
CPU time (not wall time) is divided by the number of requests: this machine is shared and
noisy, and CPU time is what moves when the code changes. Each route is measured in rounds that
alternate the app with and without the route latency middleware, so its cost shows as the
difference of the medians. ``--profile`` writes a cProfile of the reserve rounds.

On ``--backend redis`` (TICKETING_REDIS_URL) the time includes the Redis client's work but not
the Redis server's, which is what the capacity model needs: CPU per reserve in the API.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import os
import statistics
import time
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from litestar import Litestar

from bench.baseline_app import PATH as BASELINE_PATH
from bench.baseline_app import create_app as create_baseline_app
from ticketing_entrypoints.bootstrap import Container, create_app
from ticketing_entrypoints.settings import Settings

ADMIN_KEY = "bench-admin-key-0123456789abcdef"
TOKEN_SECRET = "bench-token-secret-0123456789abcdef0123456789"
JSON = (b"content-type", b"application/json")

Request = tuple[str, str, bytes, list[tuple[bytes, bytes]]]


async def call(app: Litestar, request: Request) -> tuple[int, bytes]:
    """One request through the app's ASGI interface; answers its status and body."""
    method, path, body, headers = request
    path, _, query = path.partition("?")
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query.encode(),
        "root_path": "",
        "headers": [*headers, (b"content-length", str(len(body)).encode())],
        "client": ("127.0.0.1", 50_000),
        "server": ("127.0.0.1", 8_000),
        "state": {},
    }
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            await asyncio.Event().wait()  # a client that never disconnects
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(scope, receive, send)  # type: ignore[arg-type]
    return messages[0]["status"], b"".join(m.get("body", b"") for m in messages[1:])


@asynccontextmanager
async def running(app: Litestar) -> AsyncIterator[None]:
    """The app's lifespan around the block."""
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))  # type: ignore[arg-type]
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    try:
        yield
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        await outbox.get()
        await task


@dataclass
class Api:
    """One app (with or without the latency middleware) and what the routes need."""

    app: Litestar
    container: Container

    async def must(self, request: Request, status: int) -> bytes:
        answered, body = await call(self.app, request)
        if answered != status:
            raise RuntimeError(f"{request[0]} {request[1]} answered {answered}: {body[:300]!r}")
        return body

    async def create_event(self, event_id: str, **fields: Any) -> None:
        """Creates the event in this app's store (on Redis both apps share one: 409 is fine)."""
        body = {"eventId": event_id, "name": "Bench", "totalSeats": 10_000_000, **fields}
        auth = (b"authorization", f"Bearer {ADMIN_KEY}".encode())
        request = ("POST", "/api/v1/events", json.dumps(body).encode(), [JSON, auth])
        answered, body_bytes = await call(self.app, request)
        if answered not in (201, 409):
            raise RuntimeError(f"creating {event_id} answered {answered}: {body_bytes[:300]!r}")

    async def tokens(self, event_id: str, users: list[str]) -> list[str]:
        return [json.loads(await self.must(enter(event_id, user), 200))["token"] for user in users]


def enter(event_id: str, user: str) -> Request:
    body = json.dumps({"eventId": event_id, "userId": user}).encode()
    return ("POST", "/api/v1/queue/enter", body, [JSON])


def status(token: str) -> Request:
    return ("GET", "/api/v1/queue/status", b"", [(b"x-queue-token", token.encode())])


def reserve(event_id: str, token: str) -> Request:
    body = json.dumps({"eventId": event_id, "quantity": 1}).encode()
    return ("POST", "/api/v1/tickets/reserve", body, [JSON, (b"x-queue-token", token.encode())])


async def cpu_us_per_request(api: Litestar, requests: list[Request], status: int) -> float:
    started = time.process_time()
    for request in requests:
        answered, body = await call(api, request)
        if answered != status:
            raise RuntimeError(f"{request[1]} answered {answered}: {body[:300]!r}")
    return (time.process_time() - started) / len(requests) * 1e6


Route = Callable[[Api, int], Awaitable[tuple[list[Request], int]]]


def routes(run: str) -> dict[str, Route]:
    """Per route: builds ``n`` fresh requests (and their users) and names the status."""
    sale, waiting = f"hot-{run}", f"hot-wait-{run}"

    async def enter_route(api: Api, n: int) -> tuple[list[Request], int]:
        users = [f"e-{uuid.uuid4().hex[:12]}" for _ in range(n)]
        return [enter(sale, user) for user in users], 200

    async def status_route(api: Api, n: int) -> tuple[list[Request], int]:
        tokens = await api.tokens(waiting, [f"s-{uuid.uuid4().hex[:12]}" for _ in range(n)])
        return [status(token) for token in tokens], 200

    async def reserve_route(api: Api, n: int) -> tuple[list[Request], int]:
        tokens = await api.tokens(sale, [f"r-{uuid.uuid4().hex[:12]}" for _ in range(n)])
        service = await api.container.service.async_()
        await service.tick(sale)  # admits them all (the sale admits 100,000 at once)
        return [reserve(sale, token) for token in tokens], 202

    async def live_route(api: Api, n: int) -> tuple[list[Request], int]:
        return [("GET", "/health/live", b"", [])] * n, 200

    return {
        "live": live_route,
        "enter": enter_route,
        "status": status_route,
        "reserve": reserve_route,
    }


async def open_api(settings: Settings, run: str, latency: bool) -> Api:
    container = Container()
    app = create_app(settings.model_copy(update={"route_latency_metrics": latency}), container)
    return Api(app, container)


async def measure(
    settings: Settings, requests: int, rounds: int, profile: str | None
) -> dict[str, dict[str, float]]:
    run = uuid.uuid4().hex[:8]
    with_latency = await open_api(settings, run, latency=True)
    without_latency = await open_api(settings, run, latency=False)
    baseline = create_baseline_app()
    samples: dict[str, dict[str, list[float]]] = {}
    profiler = cProfile.Profile() if profile else None
    async with running(with_latency.app), running(without_latency.app), running(baseline):
        for api in (with_latency, without_latency):
            await api.create_event(
                f"hot-{run}",
                maxActiveUsers=1_000_000,
                admissionRatePerSecond=100_000,
                admissionTtlSeconds=86_400,
            )
            await api.create_event(f"hot-wait-{run}", opensAt="2099-01-01T00:00:00Z")
        bare: list[Request] = [("GET", BASELINE_PATH, b"", [])] * requests
        for _ in range(rounds):
            us = await cpu_us_per_request(baseline, bare, 200)
            samples.setdefault("baseline", {}).setdefault("bare", []).append(us)
            for name, build in routes(run).items():
                for label, api in (("metrics", with_latency), ("no_metrics", without_latency)):
                    built, status_code = await build(api, requests)
                    profiling = profiler is not None and name == "reserve" and label == "metrics"
                    if profiling and profiler is not None:
                        profiler.enable()
                    us = await cpu_us_per_request(api.app, built, status_code)
                    if profiling and profiler is not None:
                        profiler.disable()
                    samples.setdefault(name, {}).setdefault(label, []).append(us)
    if profiler is not None and profile:
        profiler.dump_stats(profile)
    return {
        name: {label: statistics.median(values) for label, values in by_label.items()}
        for name, by_label in samples.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--backend", choices=["memory", "redis"], default="memory")
    parser.add_argument("--requests", type=int, default=2_000, help="per route and round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", metavar="FILE", help="cProfile of the reserve rounds")
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    arguments = parser.parse_args()
    settings = Settings(
        admin_key=ADMIN_KEY,
        token_secret=TOKEN_SECRET,
        redis_url=os.environ["TICKETING_REDIS_URL"] if arguments.backend == "redis" else None,
        kafka_bootstrap=None,
        database_url=None,
        drivers=False,
    )
    medians = asyncio.run(
        measure(settings, arguments.requests, arguments.rounds, arguments.profile)
    )
    if arguments.json:
        print(json.dumps(medians, indent=2))
        return
    print(f"CPU us per request, in process, {arguments.backend} backend (median of rounds)")
    print(f"{'route':10} {'metrics on':>11} {'metrics off':>12} {'middleware':>11}")
    for name, by_label in medians.items():
        on, off = by_label.get("metrics", by_label.get("bare", 0.0)), by_label.get("no_metrics")
        extra = f"{on - off:+11.1f}" if off is not None else f"{'':11}"
        print(f"{name:10} {on:11.1f} {off if off is not None else on:12.1f} {extra}")


if __name__ == "__main__":
    main()
