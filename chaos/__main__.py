"""``python -m chaos [--seconds N] [--seed S]`` (``make chaos SECONDS=600``): the fault
campaign. Prints the faults injected by kind, the requests by outcome and each invariant held
or broken, with the seed that replays the same schedule; exit code 0 only if every invariant
held and at least ``--min-faults`` faults were injected."""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from collections import Counter
from functools import partial
from pathlib import Path

import httpx
from confluent_kafka import KafkaException
from tests.support.http import ADMIN
from tests.support.kafka_topics import unconsumed
from tests.support.private_redis import private_redis
from tests.support.waiting import eventually

from chaos.checker import Verdict, check
from chaos.crowd import CLIENT_TIMEOUT_SECONDS, Buyer
from chaos.history import History, Row, Sale
from chaos.nemesis import Nemesis
from chaos.stack import APIS, ChaosStack, shared_services
from ticketing_adapters.postgres import PostgresReservationRepository, open_pool
from ticketing_adapters.redis.client import open_client
from ticketing_adapters.redis.restore import outbox_backlog

LANES = 16
SEATS = 400
"""Fewer than the crowd buys in a long run: some buyers meet a sold-out sale."""
HOLD_TTL_SECONDS = 3
READY_WITHIN = 60.0
SETTLE_WITHIN = 180.0


async def campaign(seconds: float, seed: int, workdir: Path) -> History:
    rng = random.Random(seed)
    history = History(seed=seed)
    database_url, kafka_bootstrap = shared_services()
    with private_redis(workdir / "services") as redis_server:
        stack = ChaosStack(workdir, redis_server, database_url, kafka_bootstrap)
        stack.open()
        try:
            for api in APIS:
                await eventually(partial(stack.ready, api), within=READY_WITHIN)
            await _run(stack, history, rng, seconds)
        finally:
            await asyncio.to_thread(stack.close)
    return history


async def _run(stack: ChaosStack, history: History, rng: random.Random, seconds: float) -> None:
    limits = httpx.Limits(max_connections=LANES * 2)
    clients = [
        httpx.AsyncClient(base_url=stack.url(api), timeout=CLIENT_TIMEOUT_SECONDS, limits=limits)
        for api in APIS
    ]
    sale = f"chaos-{stack.run_id}"
    body = {
        "eventId": sale,
        "name": "Chaos",
        "totalSeats": SEATS,
        "admissionRatePerSecond": 20,
        "maxActiveUsers": 50,
        "holdTtlSeconds": HOLD_TTL_SECONDS,
    }
    created = await clients[0].post("/api/v1/events", json=body, headers=ADMIN)
    created.raise_for_status()
    nemesis = Nemesis(stack, random.Random(rng.random()))
    stop_faults, stop_buying = asyncio.Event(), asyncio.Event()

    async def lane(number: int) -> None:
        apis = [clients[number % 2], clients[(number + 1) % 2]]
        buyer_rng = random.Random(rng.random())
        n = 0
        while not stop_buying.is_set():
            n += 1
            await Buyer(apis, history, buyer_rng, f"l{number}-b{n}").buy(sale)

    started = time.monotonic()
    lanes = [asyncio.create_task(lane(n)) for n in range(LANES)]
    faults = asyncio.create_task(nemesis.run(stop_faults))
    print(f"chaos: seed {history.seed}, {seconds:.0f} s, sale {sale}", flush=True)
    await asyncio.sleep(seconds)  # the campaign's length
    stop_faults.set()
    await faults
    for api in APIS:  # the last faults may have left one stopped or starting
        ready = partial(stack.revived_and_ready, api)
        await eventually(ready, within=READY_WITHIN, what=f"{api} back")
    stop_buying.set()
    await asyncio.gather(*lanes)
    history.faults = nemesis.injected
    print(f"chaos: faults over after {time.monotonic() - started:.0f} s; settling", flush=True)
    await _final_state(stack, history, clients[0], sale)
    for client in clients:
        await client.aclose()


async def _final_state(
    stack: ChaosStack, history: History, api: httpx.AsyncClient, sale: str
) -> None:
    """Once every hold has ended or been confirmed and every message reached PostgreSQL: the
    rows and Redis's stats, into the record."""
    redis = open_client(stack.redis.url, cluster=False)
    async with open_pool(stack.database_url, max_size=2) as pool:
        record = PostgresReservationRepository(pool)

        async def settled() -> bool:
            read = await api.get(f"/api/v1/events/{sale}")
            if read.status_code != 200:
                return False  # a dependency still coming back (503)
            stats = read.json()["stats"]
            if stats["pendingSeats"] or await outbox_backlog(redis, sale):
                return False
            try:
                behind = await asyncio.to_thread(
                    unconsumed, stack.kafka_bootstrap, f"chaos-{stack.run_id}", stack.topic
                )
            except KafkaException:
                return False  # the broker still starting after its last fault
            return behind == 0

        await eventually(settled, within=SETTLE_WITHIN, every=0.5, what="the stack settled")
        rows = await record.reservations_of(sale)
        history.rows = [
            Row(r.reservation_id, r.event_id, r.user_id, r.quantity, r.status.value) for r in rows
        ]
        event = (await api.get(f"/api/v1/events/{sale}")).json()
        stats = event["stats"]
        history.sales = [
            Sale(
                sale,
                event["totalSeats"],
                event["maxPerUser"],
                stats["remainingSeats"],
                stats["pendingSeats"],
                stats["confirmedSeats"],
            )
        ]
    await redis.aclose()


def report(history: History, verdicts: list[Verdict]) -> str:
    lines = [f"seed {history.seed}", "", "faults injected"]
    for kind, count in sorted(Counter(history.faults).items()):
        lines.append(f"  {kind:<24} {count:>6}")
    lines.append(f"  {'total':<24} {len(history.faults):>6}")
    lines += ["", "requests by outcome"]
    outcomes = Counter(
        (op.kind, str(op.status) if op.status is not None else op.error) for op in history.ops
    )
    for (kind, outcome), count in sorted(outcomes.items()):
        lines.append(f"  {kind:<10} {outcome:<10} {count:>8}")
    lines += ["", "invariants"]
    for verdict in verdicts:
        mark = "held  " if verdict.held else "BROKEN"
        lines.append(f"  {mark} {verdict.invariant}: {verdict.detail}")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m chaos", description=__doc__)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--min-faults", type=int, default=0)
    parser.add_argument("--record", type=Path, default=None, help="write the record (JSON) here")
    parser.add_argument(
        "--logs", type=Path, default=None, help="keep the processes' logs in this directory"
    )
    arguments = parser.parse_args()
    seed = arguments.seed if arguments.seed is not None else random.randrange(2**32)
    with tempfile.TemporaryDirectory(prefix="chaos-") as scratch:
        workdir = arguments.logs or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        history = asyncio.run(campaign(arguments.seconds, seed, workdir))
    if arguments.record is not None:
        history.dump(arguments.record)
    verdicts = check(history)
    print(report(history, verdicts))
    enough = len(history.faults) >= arguments.min_faults
    if not enough:
        print(f"only {len(history.faults)} faults injected (at least {arguments.min_faults})")
    return 0 if enough and all(v.held for v in verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
