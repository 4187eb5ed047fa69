"""Position streams: 10,000 then 19,000 held by one API process.

Two client processes (``bench.sse_client``) hold the streams; the server's 20,000 open files
per process allow 19,000 of them. Per step: the server process's memory; Redis commands per
second while the streams are idle (against 100 streams: the hub asks Redis per event, not per
stream); a few position changes (the head of the queue leaves), each timed from just before
the leave to each stream's message; then as many changes again while vegeta sends ordinary
requests to the same process at a constant rate (their latency is the "API with N streams"
row; the fan-out delays under that load are kept in the fan-out row's details). Each stream
must hear every change, with the position one less.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path

import redis

from bench.context import Context, say
from bench.procs import Process, rss_bytes
from bench.results import Result
from bench.sale import WAITING_ROOM, Sale, status_target, write_tokens
from bench.stack import Server, start_api
from bench.tools import Load, run_vegeta, write_targets

STEPS = (10_000, 19_000)
FEW = 100
CLIENTS = 2
CHANGES_PER_STEP = 3
SECONDS_BETWEEN_CHANGES = 2.5
"""Longer than the hub's snapshot interval (0.25 s) plus a fan-out, so changes never overlap."""
ORDINARY_RATE = 500
"""Status reads per second sent to the process while it holds the streams and fans out."""
OPEN_WITHIN_SECONDS = 300.0

Messages = Sequence[Sequence[int]]
"""One stream's (monotonic ns, position) pairs."""


def streams(context: Context) -> list[Result]:
    api = start_api(context.processes, context.stack, "stack", name="api-sse")
    sale = Sale(api.url, context.workdir)
    try:
        return _run(context, api, sale)
    finally:
        sale.close()
        context.processes.stop(api.process)


def _run(context: Context, api: Server, sale: Sale) -> list[Result]:
    event = sale.create_event("sse", **WAITING_ROOM)
    leavers = [f"x{n}" for n in range(2 * CHANGES_PER_STEP * len(STEPS))]
    for leaver in leavers:  # one by one: they are the head of the queue, in this order
        sale.enter_one(event, leaver)
    users = [f"s{n}" for n in range(max(STEPS))]
    say(f"streams: entering {len(users):,} waiting users")
    sale.enter(event, users)
    share = len(users) // CLIENTS
    clients = []
    for n in range(CLIENTS):
        tokens = write_tokens(
            context.workdir / f"sse-{n}.txt", event, users[n * share : (n + 1) * share]
        )
        command = [sys.executable, "-m", "bench.sse_client", f"--port={api.port}"]
        clients.append(
            context.processes.start_piped(f"sse-client-{n}", [*command, f"--tokens={tokens}"])
        )
    server_pid = api.worker_pids()[0]
    redis_client = context.stack.redis()
    say(f"streams: {FEW} open; Redis commands/s over {context.seconds:.0f} s")
    _open(clients[:1], FEW)
    few_ops = _commands_per_second(redis_client, context.seconds)
    ordinary = context.workdir / "sse-ordinary.json"
    duration = 1.0 + CHANGES_PER_STEP * SECONDS_BETWEEN_CHANGES
    write_targets(
        ordinary,
        (
            status_target(api.url, event, users[n % len(users)])
            for n in range(int(ORDINARY_RATE * duration))
        ),
    )
    results: list[Result] = []
    changes: dict[int, list[int]] = {}
    loaded_changes: dict[int, list[int]] = {}
    for step, total in enumerate(STEPS):
        say(f"streams: opening up to {total:,}")
        opened, failed = _open(clients, total // CLIENTS)
        rss = rss_bytes(server_pid)
        say(f"streams: {opened:,} open ({failed} refused), server RSS {rss / 2**20:.0f} MiB")
        ops = _commands_per_second(redis_client, context.seconds)
        first = 2 * step * CHANGES_PER_STEP
        quiet_leavers = leavers[first : first + CHANGES_PER_STEP]
        loaded_leavers = leavers[first + CHANGES_PER_STEP : first + 2 * CHANGES_PER_STEP]
        say(f"streams: {CHANGES_PER_STEP} changes")
        changes[total] = _changes(sale, event, quiet_leavers)
        say(f"streams: {CHANGES_PER_STEP} changes while vegeta sends {ORDINARY_RATE}/s reads")
        load, loaded_changes[total] = _changes_under_load(
            context, sale, event, loaded_leavers, ordinary, duration
        )
        results.append(
            Result.of(
                f"api_with_{total}_streams",
                "vegeta",
                load,
                target="p99 <= 250 ms" if total == STEPS[0] else "",
                met=load.p99_ms <= 250 and not load.errors if total == STEPS[0] else None,
                details={"rate": ORDINARY_RATE},
            )
        )
        results.append(
            Result(
                scenario=f"sse_fanout_{total}_streams",
                tool="bench.sse_client",
                errors=failed,
                details={
                    "streams_open": opened,
                    "server_rss_mib": round(rss / 2**20, 1),
                    "redis_commands_per_s": round(ops, 1),
                    f"redis_commands_per_s_at_{FEW}_streams": round(few_ops, 1),
                },
            )
        )
    reports = []
    for n, client in enumerate(clients):
        path = context.workdir / f"sse-report-{n}.json"
        client.ask(f"report {path}", within=120)
        reports += json.loads(path.read_text())["streams"]
    for client in clients:
        context.processes.stop(client)
    _fan_out_results(results, reports, changes, loaded_changes, few_ops)
    return results


def _open(clients: Sequence[Process], each: int) -> tuple[int, int]:
    """Asks every client (at once) to hold ``each`` streams; answers how many are open in all
    and how many were refused."""
    for client in clients:
        assert client.popen.stdin is not None
        client.popen.stdin.write(f"open {each}\n".encode())
        client.popen.stdin.flush()
    opened = failed = 0
    for client in clients:
        assert client.popen.stdout is not None
        answer = client.popen.stdout.readline().decode().split()
        if len(answer) != 3 or answer[0] != "open":
            raise RuntimeError(f"{client.name} answered {answer!r}:\n{client.tail()}")
        opened, failed = opened + int(answer[1]), failed + int(answer[2])
    return opened, failed


def _commands_per_second(client: redis.Redis, seconds: float) -> float:
    before = int(client.info("stats")["total_commands_processed"])
    time.sleep(seconds)
    after = int(client.info("stats")["total_commands_processed"])
    return (after - before - 1) / seconds  # the INFO that read ``before`` counts too


def _changes(sale: Sale, event: str, leavers: Sequence[str]) -> list[int]:
    """The leavers leave one by one; answers when each left (monotonic ns)."""
    times: list[int] = []
    for leaver in leavers:
        time.sleep(SECONDS_BETWEEN_CHANGES if times else 1.0)
        times.append(time.monotonic_ns())
        sale.leave(event, leaver)
    time.sleep(SECONDS_BETWEEN_CHANGES)
    return times


def _changes_under_load(
    context: Context,
    sale: Sale,
    event: str,
    leavers: Sequence[str],
    ordinary: Path,
    duration: float,
) -> tuple[Load, list[int]]:
    """``_changes`` while vegeta runs; answers its load too."""
    measured: list[Load] = []

    def attack() -> None:
        results = context.workdir / "sse-ordinary.bin"
        measured.append(run_vegeta(ordinary, ORDINARY_RATE, duration, results))

    vegeta = threading.Thread(target=attack)
    vegeta.start()
    try:
        times = _changes(sale, event, leavers)
    finally:
        vegeta.join()
    if not measured:
        raise RuntimeError("vegeta failed while the streams were held (see its error above)")
    return measured[0], times


def _fan_out_results(
    results: list[Result],
    reports: list[Messages],
    changes: dict[int, list[int]],
    loaded_changes: dict[int, list[int]],
    few_ops: float,
) -> None:
    """Per step, each stream open before a change: how long until it heard of it."""
    every = sorted(t for times in [*changes.values(), *loaded_changes.values()] for t in times)
    for total, times in changes.items():
        delays, missed = _delays(reports, times, every)
        loaded_delays, loaded_missed = _delays(reports, loaded_changes[total], every)
        result = next(r for r in results if r.scenario == f"sse_fanout_{total}_streams")
        if delays:
            result.p50_ms, result.p95_ms, result.p99_ms = (
                _quantile(delays, q) for q in (0.5, 0.95, 0.99)
            )
            result.details["max_ms"] = round(delays[-1], 1)
        result.details["deliveries"] = len(delays)
        result.details["missed"] = missed
        # Under load a stream that falls behind skips to the newest position: counted apart.
        result.details["under_load"] = {
            "deliveries": len(loaded_delays),
            "missed_or_skipped": loaded_missed,
            "p50_p99_max_ms": [
                _quantile(loaded_delays, 0.5),
                _quantile(loaded_delays, 0.99),
                round(loaded_delays[-1], 1),
            ]
            if loaded_delays
            else None,
        }
        result.errors += missed
        ops = float(result.details["redis_commands_per_s"])
        ratio = ops / few_ops if few_ops else float("inf")
        result.details["redis_ratio_to_few"] = round(ratio, 2)
        p99 = result.p99_ms if result.p99_ms is not None else float("inf")
        met = p99 <= 1_000 and not result.errors
        if total == max(changes):
            result.target = "fan-out p99 <= 1 s, all hear all, Redis <= 1.2 x"
            result.met = met and ratio <= 1.2
        else:
            result.target = "fan-out p99 <= 1 s, all hear all"
            result.met = met


def _delays(reports: list[Messages], times: list[int], every: list[int]) -> tuple[list[float], int]:
    """Milliseconds from each change to each stream open then; and how many never heard."""
    delays, missed = [], 0
    for changed_at in times:
        until = next((t for t in every if t > changed_at), None)
        for messages in reports:
            delay = _heard(messages, changed_at, until)
            if delay is None:
                continue  # not open yet at that change
            if delay < 0:
                missed += 1
            else:
                delays.append(delay / 1e6)
    delays.sort()
    return delays, missed


def _quantile(ordered: list[float], q: float) -> float:
    return round(ordered[int(q * (len(ordered) - 1))], 1)


def _heard(messages: Messages, changed_at: int, until: int | None) -> int | None:
    """Nanoseconds from the change to the stream's next position (one less than it showed);
    None if the stream was not open yet; -1 if it never heard (or heard something else)."""
    shown = None
    for at, position in messages:
        if at < changed_at:
            shown = position
            continue
        if shown is None:
            return None
        if until is not None and at >= until:
            return -1
        if position != shown:
            return at - changed_at if position == shown - 1 else -1
    return None if shown is None else -1
