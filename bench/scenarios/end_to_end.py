"""Reserve answered -> row in PostgreSQL, at a fixed arrival rate, on the real stack.

vegeta keeps every answer: when it arrived (its start plus its latency) and the reservation id
in its body. The worker stamps each row's ``persisted_at`` when it writes it (migration 0002).
Both clocks are this machine's wall clock, so each reservation's lag is the difference.
"""

from __future__ import annotations

import json
import time
from datetime import datetime

import psycopg

from bench.context import Context, say
from bench.results import Result
from bench.sale import SALE_FOR_RESERVES, Sale, reserve_target
from bench.stack import Server
from bench.tools import run_vegeta, vegeta_answers, write_targets

RATE = 1_000
USERS = 12_000
PERSIST_WITHIN_SECONDS = 60.0


def reserve_to_row(context: Context, api: Server, sale: Sale) -> Result:
    event = sale.create_event("e2e", **SALE_FOR_RESERVES)
    users = [f"p{n}" for n in range(USERS)]
    say(f"end to end: entering and admitting {len(users):,} users")
    sale.enter(event, users)
    sale.wait_admitted(event, len(users))
    count = int(RATE * context.seconds)
    targets = context.workdir / "e2e.json"
    write_targets(
        targets, (reserve_target(api.url, event, users[n % len(users)]) for n in range(count))
    )
    say(f"end to end: vegeta {RATE:,} reserves/s for {context.seconds:.0f} s, then rows")
    results = context.workdir / "e2e.bin"
    load = run_vegeta(targets, RATE, context.seconds, results)
    answered = {
        json.loads(answer.body)["reservationId"]: answer.answered_ns
        for answer in vegeta_answers(results)
        if answer.status == 202
    }
    persisted = _persisted(context.stack.database_url, event, len(answered))
    lags_ms = sorted(
        (persisted[rid].timestamp() * 1e9 - at) / 1e6
        for rid, at in answered.items()
        if rid in persisted
    )
    missing = len(answered) - len(lags_ms)

    def quantile(q: float) -> float:
        return round(lags_ms[min(len(lags_ms) - 1, int(q * len(lags_ms)))], 2)

    p99 = quantile(0.99)
    return Result(
        scenario=f"reserve_to_row_at_{RATE}rps",
        tool="vegeta+postgres",
        throughput_rps=round(load.throughput_rps, 1),
        p50_ms=quantile(0.50),
        p95_ms=quantile(0.95),
        p99_ms=p99,
        errors=load.errors + missing,
        target="p99 <= 200 ms",
        met=p99 <= 200 and not missing and not load.errors,
        details={
            "reserves_answered_202": len(answered),
            "rows_missing": missing,
            "max_ms": round(lags_ms[-1], 2),
            "answer_p99_ms": round(load.p99_ms, 2),
        },
    )


def _persisted(database_url: str, event: str, expected: int) -> dict[str, datetime]:
    """Every row of ``event`` with its ``persisted_at``, once all ``expected`` are there."""
    deadline = time.monotonic() + PERSIST_WITHIN_SECONDS
    with psycopg.connect(database_url) as connection:
        while True:
            rows = connection.execute(
                "SELECT reservation_id, persisted_at FROM reservations WHERE event_id = %s",
                (event,),
            ).fetchall()
            connection.commit()
            if len(rows) >= expected or time.monotonic() > deadline:
                return {str(rid): at for rid, at in rows}
            time.sleep(0.5)
