"""``python -m chaos.redis_crash_drill``: the Redis-crash drill, from outside, against the stack
an operator runs (``make services`` + ``make run-stack``), as a client of its HTTP API only.

It creates a sale, lets ``--buyers`` admitted buyers reserve one seat each and puts
``--waiting`` buyers in the queue of a second sale that opens in an hour. After the
``--kill-after``-th reserve answered ``202`` it SIGKILLs the Redis of ``make services`` and
starts it again with ``scripts/services.sh up redis`` (no reconcile, no API or worker restart).
When the crowd is done it reads PostgreSQL and prints, and fails (exit 1) unless all hold:
every hold answered ``202`` is stored once; every waiting buyer has the place they had; the
seats add up in Redis (as the API reports them) and agree with PostgreSQL; nothing was answered
``500``. The crowd retries a ``503`` after a back-off, as a buyer's page does.

It kills the Redis of the shared services: do not run it while tests use them."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import psycopg
from tests.support.waiting import eventually

ROOT = Path(__file__).resolve().parents[1]
SERVICES = ROOT / "scripts" / "services.sh"
RUN_STACK_SECRETS = ROOT / ".services" / "run-stack.env"
LANES = 32
BACK_OFF_SECONDS = 0.2
SETTLE_WITHIN = 180.0
ADMITTED_WITHIN = 120.0


@dataclass
class Tally:
    holds: set[str] = field(default_factory=set)
    unsure_buyers: set[str] = field(default_factory=set)
    """Buyers whose reserve met a 503 or no answer: a hold may or may not exist for them."""
    statuses: Counter[int] = field(default_factory=Counter)
    redis_killed_at: float | None = None
    redis_back_at: float | None = None


class Drill:
    def __init__(self, api: httpx.AsyncClient, admin_key: str, tally: Tally) -> None:
        self.api = api
        self.admin = {"Authorization": f"Bearer {admin_key}"}
        self.tally = tally

    async def send(self, method: str, path: str, **options: Any) -> httpx.Response | None:
        try:
            response = await self.api.request(method, path, **options)
        except httpx.TransportError:
            self.tally.statuses[0] += 1
            return None
        self.tally.statuses[response.status_code] += 1
        return response

    async def call(self, method: str, path: str, **options: Any) -> httpx.Response:
        """The first answer other than 503 (or none) for a request that may be repeated."""
        while True:
            response = await self.send(method, path, **options)
            if response is not None and response.status_code != 503:
                return response
            await asyncio.sleep(BACK_OFF_SECONDS)  # a client's back-off

    async def create_sale(self, event_id: str, **fields: Any) -> None:
        body = {"eventId": event_id, "name": event_id, **fields}
        created = await self.call("POST", "/api/v1/events", json=body, headers=self.admin)
        if created.status_code != 201:
            raise SystemExit(f"creating {event_id}: {created.status_code} {created.text}")

    async def enter(self, event_id: str, user: str) -> dict[str, Any]:
        body = {"eventId": event_id, "userId": user}
        entered = await self.call("POST", "/api/v1/queue/enter", json=body)
        if entered.status_code != 200:
            raise SystemExit(f"{user} entering: {entered.status_code} {entered.text}")
        return dict(entered.json())

    async def status(self, token: str) -> dict[str, Any]:
        read = await self.call("GET", "/api/v1/queue/status", headers={"X-Queue-Token": token})
        if read.status_code != 200:
            raise SystemExit(f"status: {read.status_code} {read.text}")
        return dict(read.json())

    async def buy_one(self, event_id: str, user: str) -> None:
        token = (await self.enter(event_id, user))["token"]

        async def admitted() -> bool:
            return bool((await self.status(token))["status"] == "ADMITTED")

        await eventually(admitted, within=ADMITTED_WITHIN, every=0.05, what=f"{user} admitted")
        held = await self.send(
            "POST",
            "/api/v1/tickets/reserve",
            json={"eventId": event_id, "quantity": 1},
            headers={"X-Queue-Token": token},
        )
        if held is None or held.status_code == 503:
            self.tally.unsure_buyers.add(user)
        elif held.status_code == 202:
            self.tally.holds.add(held.json()["reservationId"])
        else:
            raise SystemExit(f"{user} reserving: {held.status_code} {held.text}")

    async def seats(self, event_id: str) -> dict[str, int]:
        read = await self.call("GET", f"/api/v1/events/{event_id}")
        return dict(read.json()["stats"])


def services(*arguments: str) -> str:
    done = subprocess.run(
        [str(SERVICES), *arguments], check=True, capture_output=True, text=True, cwd=ROOT
    )
    return done.stdout.strip()


async def crash_redis_when(tally: Tally, holds: int) -> None:
    await eventually(lambda: len(tally.holds) >= holds, within=300, every=0.01, what="holds")
    pid = int(services("pid", "redis"))
    os.kill(pid, signal.SIGKILL)
    tally.redis_killed_at = time.monotonic()
    print(f"redis (pid {pid}) SIGKILLed after {len(tally.holds)} holds", flush=True)
    await eventually(
        lambda: tally.statuses[503] + tally.statuses[0] > 0, within=60, every=0.01, what="a 503"
    )
    await asyncio.to_thread(services, "up", "redis")
    tally.redis_back_at = time.monotonic()
    print(f"redis started again by scripts/services.sh up redis, {len(tally.holds)} holds")


def stored(database_url: str, event_id: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(database_url) as connection:
        rows = connection.execute(
            "SELECT reservation_id, status, quantity FROM reservations WHERE event_id = %s",
            (event_id,),
        ).fetchall()
    return {reservation_id: (status, quantity) for reservation_id, status, quantity in rows}


async def drill(arguments: argparse.Namespace) -> list[str]:
    tally = Tally()
    run = uuid.uuid4().hex[:8]
    sale, later = f"drill-{run}", f"drill-{run}-later"
    limits = httpx.Limits(max_connections=LANES + 8)
    async with httpx.AsyncClient(base_url=arguments.url, timeout=30, limits=limits) as client:
        drill = Drill(client, arguments.admin_key, tally)
        opens = (datetime.now(UTC) + timedelta(hours=1)).isoformat()
        await drill.create_sale(later, totalSeats=10, opensAt=opens)
        tokens = [
            (await drill.enter(later, f"early-{n}"))["token"] for n in range(arguments.waiting)
        ]
        places_before = [(await drill.status(token))["position"] for token in tokens]
        await drill.create_sale(
            sale,
            totalSeats=arguments.buyers,
            admissionRatePerSecond=10_000,
            maxActiveUsers=10_000,
            holdTtlSeconds=3_600,
        )
        buyers = iter(range(arguments.buyers))

        async def lane() -> None:
            for buyer in buyers:
                await drill.buy_one(sale, f"buyer-{buyer}")

        crash = asyncio.create_task(crash_redis_when(tally, arguments.kill_after))
        started = time.monotonic()
        await asyncio.gather(*(lane() for _ in range(LANES)))
        print(f"crowd done in {time.monotonic() - started:.1f} s")
        if not crash.done():
            crash.cancel()
            return [f"the crowd ended before {arguments.kill_after} holds: Redis never killed"]
        await crash
        places_after = [(await drill.status(token))["position"] for token in tokens]

        deadline = time.monotonic() + SETTLE_WITHIN
        while True:
            rows = await asyncio.to_thread(stored, arguments.database_url, sale)
            if tally.holds <= rows.keys() or time.monotonic() > deadline:
                break
            await asyncio.sleep(0.5)  # until the worker stored the last messages
        seats = await drill.seats(sale)

    held = Counter[str]()
    for status, quantity in rows.values():
        held[status] += quantity
    lost = tally.holds - rows.keys()
    extra = rows.keys() - tally.holds
    moved = sum(before != after for before, after in zip(places_before, places_after, strict=True))
    outage = (tally.redis_back_at or 0) - (tally.redis_killed_at or 0)
    print(
        f"answers (0: no answer): {dict(sorted(tally.statuses.items()))}\n"
        f"holds answered 202: {len(tally.holds)}; stored in PostgreSQL: {len(rows)}; "
        f"lost: {len(lost)}; stored without a 202: {len(extra)} "
        f"(buyers whose reserve met the outage: {len(tally.unsure_buyers)})\n"
        f"waiting buyers: {len(tokens)}; places changed: {moved}\n"
        f"seats (Redis, via the API): {seats}; PostgreSQL: {dict(held)}\n"
        f"Redis down for {outage:.1f} s"
    )
    broken = []
    if lost:
        broken.append(f"{len(lost)} holds answered 202 are not in PostgreSQL")
    if len(extra) > len(tally.unsure_buyers):
        broken.append(f"{len(extra)} stored holds were never answered (more than the unsure)")
    if moved:
        broken.append(f"{moved} waiting buyers lost their place")
    if (
        seats["remainingSeats"] + seats["pendingSeats"] + seats["confirmedSeats"]
        != arguments.buyers
    ):
        broken.append("the seats do not add up in Redis")
    if (seats["pendingSeats"], seats["confirmedSeats"]) != (held["PENDING"], held["CONFIRMED"]):
        broken.append("Redis and PostgreSQL disagree on the held seats")
    if tally.statuses[500]:
        broken.append(f"{tally.statuses[500]} requests answered 500")
    return broken


def run_stack_setting(name: str) -> str | None:
    if name in os.environ:
        return os.environ[name]
    if RUN_STACK_SECRETS.exists():
        for line in RUN_STACK_SECRETS.read_text().splitlines():
            key, _, value = line.partition("=")
            if key == name:
                return value
    return None


def services_setting(name: str) -> str | None:
    for line in services("env").splitlines():
        key, _, value = line.removeprefix("export ").partition("=")
        if key == name:
            return value
    return None


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m chaos.redis_crash_drill", description=__doc__)
    parser.add_argument("--url", default="http://127.0.0.1:8000", help="the API of run-stack")
    parser.add_argument("--admin-key", default=run_stack_setting("TICKETING_ADMIN_KEY"))
    parser.add_argument(
        "--database-url",
        default=os.environ.get("TICKETING_DATABASE_URL")
        or services_setting("TICKETING_DATABASE_URL"),
    )
    parser.add_argument("--buyers", type=int, default=1_500)
    parser.add_argument("--waiting", type=int, default=300)
    parser.add_argument("--kill-after", type=int, default=600)
    arguments = parser.parse_args()
    if not arguments.admin_key or not arguments.database_url:
        parser.error("no admin key or database URL: start `make run-stack` first or pass them")
    broken = asyncio.run(drill(arguments))
    for line in broken:
        print(f"BROKEN: {line}")
    print("every check held" if not broken else f"{len(broken)} checks broken")
    sys.exit(1 if broken else 0)


if __name__ == "__main__":
    main()
