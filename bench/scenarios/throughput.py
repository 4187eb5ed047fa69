"""Throughput (wrk) of the bare endpoint, enter, status and reserve; reserve latency at a
constant arrival rate (vegeta); the same reserve load on one and on two API processes, and with
the outbox relay in the API or in a worker."""

from __future__ import annotations

from functools import partial
from typing import Any

from bench.context import Context, say
from bench.cpu import measure_cpu, per_request
from bench.results import Result
from bench.sale import SALE_FOR_RESERVES, WAITING_ROOM, Sale, reserve_target, write_tokens
from bench.stack import Server, start_api, start_worker
from bench.tools import WRK_CONNECTIONS, Load, run_vegeta, run_wrk, write_targets

RESERVE_USERS = 30_000
"""Each may hold ten seats: room for 300,000 reserves, more than any load here sends."""
STATUS_TOKENS = 20_000
RESERVE_RATE = 2_000


def baseline(context: Context, server: Server, label: str) -> Result:
    say(f"baseline ({label}): wrk {context.seconds:.0f} s on the bare endpoint")
    load, used = measure_cpu(
        {"api": server.worker_pids()},
        lambda: run_wrk(f"{server.url}/baseline", "get", context.seconds),
    )
    result = Result.of(f"baseline_{label}", "wrk", load)
    result.details = per_request(used, load.requests)
    return result


def enter(context: Context, api: Server, sale: Sale) -> tuple[Result, str, int]:
    """Unique users entering one event; answers also the event and how many surely entered."""
    event = sale.create_event("enter", **WAITING_ROOM)
    say(f"enter: wrk {context.seconds:.0f} s, unique users into {event}")
    load = run_wrk(api.url, "enter", context.seconds, {"BENCH_EVENT": event, "BENCH_PREFIX": "u"})
    # wrk calls request() once to check the script before it sends anything, so u1 is never
    # sent; u2..uN were sent in order, and all but the last connections' worth surely answered.
    entered = max(0, load.requests - 2 * WRK_CONNECTIONS) if not load.errors else 0
    result = _throughput("enter", load, context, ">= 5,000 req/s", 5_000)
    return result, event, entered


def status(context: Context, api: Server, event: str, entered: int) -> Result:
    users = [f"u{n}" for n in range(2, min(entered, STATUS_TOKENS) + 2)]
    if not users:
        raise RuntimeError("no users entered to read the status of")
    tokens = write_tokens(context.workdir / "status-tokens.txt", event, users)
    say(f"status: wrk {context.seconds:.0f} s, {len(users):,} waiting users reading their place")
    load = run_wrk(api.url, "status", context.seconds, {"BENCH_TOKENS": str(tokens)})
    return _throughput("status", load, context, "", None)


def admitted_crowd(context: Context, sale: Sale, name: str, **fields: Any) -> tuple[str, list[str]]:
    """An event with ``RESERVE_USERS`` users entered and admitted (``SALE_FOR_RESERVES``, with
    ``fields`` added or replacing)."""
    event = sale.create_event(name, **{**SALE_FOR_RESERVES, **fields})
    users = [f"r{n}" for n in range(RESERVE_USERS)]
    say(f"{name}: entering and admitting {len(users):,} users")
    sale.enter(event, users)
    sale.wait_admitted(event, len(users))
    return event, users


def reserve(context: Context, api: Server, sale: Sale, event: str, users: list[str]) -> Result:
    tokens = write_tokens(context.workdir / f"reserve-tokens-{event}.txt", event, users)
    say(f"reserve: wrk {context.seconds:.0f} s, admitted users holding one seat each time")
    env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": event}
    load, used = measure_cpu(
        {"api": api.worker_pids(), "redis": [context.stack.redis_pid]},
        lambda: run_wrk(api.url, "reserve", context.seconds, env),
    )
    result = _throughput("reserve", load, context, ">= 4,000 req/s, >= 0.5 x base", 4_000)
    ratio = result.baseline_ratio
    result.met = bool(result.met) and ratio is not None and ratio >= 0.5
    result.details = per_request(used, load.requests)
    return result


def reserve_latency(
    context: Context, api: Server, sale: Sale, event: str, users: list[str]
) -> Result:
    count = int(RESERVE_RATE * context.seconds)
    targets = context.workdir / "reserve-latency.json"
    write_targets(
        targets, (reserve_target(api.url, event, users[n % len(users)]) for n in range(count))
    )
    say(f"reserve latency: vegeta {RESERVE_RATE:,}/s for {context.seconds:.0f} s")
    load = run_vegeta(targets, RESERVE_RATE, context.seconds, context.workdir / "latency.bin")
    return Result.of(
        f"reserve_at_{RESERVE_RATE}rps",
        "vegeta",
        load,
        target="p99 <= 25 ms",
        met=load.p99_ms <= 25 and not load.errors,
    )


def reserve_on_fresh_processes(
    context: Context,
    name: str,
    api: Server,
    others: dict[str, list[int]] | None = None,
) -> tuple[Load, dict[str, object]]:
    """The reserve load (wrk) on ``api``, just started, with a crowd of its own admitted; its
    CPU split over the API, Redis and ``others``. Stops ``api`` afterwards."""
    sale = Sale(api.url, context.workdir)
    try:
        event, users = admitted_crowd(context, sale, name)
        return reserve_load(context, name, api, event, users, others)
    finally:
        sale.close()
        context.processes.stop(api.process)


def reserve_load(
    context: Context,
    name: str,
    api: Server,
    event: str,
    users: list[str],
    others: dict[str, list[int]] | None = None,
    env: dict[str, str] | None = None,
) -> tuple[Load, dict[str, object]]:
    """The reserve load (wrk, ``bench/lua/reserve.lua`` with ``env`` added) on ``api`` by the
    admitted ``users`` of ``event``; its CPU split over the API, Redis and ``others``."""
    tokens = write_tokens(context.workdir / f"{name}-tokens.txt", event, users)
    say(f"{name}: wrk {context.seconds:.0f} s of reserves")
    env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": event, **(env or {})}
    load, used = measure_cpu(
        {"api": api.worker_pids(), "redis": [context.stack.redis_pid], **(others or {})},
        partial(run_wrk, api.url, "reserve", context.seconds, env),
    )
    return load, per_request(used, load.requests)


def scale_out(context: Context) -> Result:
    """The reserve load on a fresh one-process API, then on a fresh two-process one."""
    measured: dict[int, Load] = {}
    cpu: dict[int, dict[str, object]] = {}
    for workers in (1, 2):
        api = start_api(
            context.processes, context.stack, "stack", workers=workers, name=f"api-{workers}"
        )
        measured[workers], cpu[workers] = reserve_on_fresh_processes(
            context, f"scale{workers}", api
        )
    one, two = measured[1], measured[2]
    result = Result.of("reserve_2_processes", "wrk", two, target="report the ratio")
    result.baseline_ratio = context.ratio(two.throughput_rps)
    result.errors = one.errors + two.errors
    result.details = {
        "one_process_rps": round(one.throughput_rps, 1),
        "two_processes_rps": round(two.throughput_rps, 1),
        "two_over_one": round(two.throughput_rps / one.throughput_rps, 3),
        "one_process": cpu[1],
        "two_processes": cpu[2],
    }
    return result


def relay_placement(context: Context) -> list[Result]:
    """The same reserve load with the outbox relay in the API process, then with the API's
    relay off and a ``ticketing worker --relay`` doing it: fresh processes each, one run."""
    measured: dict[str, Load] = {}
    cpu: dict[str, dict[str, object]] = {}
    for placement in ("api", "worker"):
        in_worker = placement == "worker"
        api = start_api(
            context.processes,
            context.stack,
            "stack",
            name=f"api-relay-in-{placement}",
            settings={"TICKETING_API_RELAY": str(not in_worker).lower()},
        )
        persister = start_worker(
            context.processes, context.stack, relay=in_worker, name=f"worker-relay-in-{placement}"
        )
        try:
            measured[placement], cpu[placement] = reserve_on_fresh_processes(
                context, f"relay-in-{placement}", api, {"worker": [persister.process.pid]}
            )
        finally:
            context.processes.stop(persister.process)
    results = []
    for placement, load in measured.items():
        result = Result.of(f"reserve_relay_in_{placement}", "wrk", load, target="report the ratio")
        result.baseline_ratio = context.ratio(load.throughput_rps)
        result.details = {
            **cpu[placement],
            "over_relay_in_api": round(load.throughput_rps / measured["api"].throughput_rps, 3),
        }
        results.append(result)
    return results


def _throughput(
    name: str, load: Load, context: Context, target: str, minimum: float | None
) -> Result:
    result = Result.of(name, "wrk", load, target=target)
    result.baseline_ratio = context.ratio(load.throughput_rps)
    if minimum is not None:
        result.met = load.throughput_rps >= minimum and not load.errors
    return result
