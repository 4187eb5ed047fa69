"""What durable hot state costs (issue 13): the same reserve load, throughput (wrk) and latency
at a constant arrival rate (vegeta), on the run's Redis with its AOF written and fsynced on
every write (``appendfsync always``, what the stack requires) and then with persistence off,
each on a fresh API process, in one run; the table reports durable over volatile."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from bench.context import Context, say
from bench.cpu import measure_cpu, per_request
from bench.results import Result
from bench.sale import Sale, reserve_target, write_tokens
from bench.scenarios.throughput import RESERVE_RATE, admitted_crowd
from bench.stack import Stack, start_api
from bench.tools import Load, run_vegeta, run_wrk, write_targets

MODES = ("durable", "volatile")


def durability(context: Context) -> list[Result]:
    throughput: dict[str, Load] = {}
    latency: dict[str, Load] = {}
    cpu: dict[str, dict[str, object]] = {}
    for mode in MODES:
        with _redis_persistence(context.stack, durable=mode == "durable"):
            api = start_api(
                context.processes,
                context.stack,
                "stack",
                name=f"api-{mode}",
                # The stack refuses a volatile Redis unless told that the loss is accepted.
                settings={"TICKETING_ALLOW_VOLATILE_REDIS": str(mode == "volatile").lower()},
            )
            sale = Sale(api.url, context.workdir)
            try:
                event, users = admitted_crowd(context, sale, f"redis-{mode}")
                tokens = write_tokens(context.workdir / f"{mode}-tokens.txt", event, users)
                say(f"redis {mode}: wrk {context.seconds:.0f} s of reserves")
                env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": event}
                throughput[mode], used = measure_cpu(
                    {"api": api.worker_pids(), "redis": [context.stack.redis_pid]},
                    partial(run_wrk, api.url, "reserve", context.seconds, env),
                )
                cpu[mode] = per_request(used, throughput[mode].requests)
                latency[mode] = _reserve_latency(context, api.url, event, users, mode)
            finally:
                sale.close()
                context.processes.stop(api.process)
    results = []
    for mode in MODES:
        wrk = Result.of(f"reserve_{mode}_redis", "wrk", throughput[mode], target="report the ratio")
        wrk.baseline_ratio = context.ratio(throughput[mode].throughput_rps)
        wrk.details = {
            **cpu[mode],
            "over_volatile": round(
                throughput[mode].throughput_rps / throughput["volatile"].throughput_rps, 3
            ),
        }
        tail = Result.of(
            f"reserve_at_{RESERVE_RATE}rps_{mode}_redis",
            "vegeta",
            latency[mode],
            target="report the ratio",
        )
        tail.details = {
            "p99_over_volatile": round(latency[mode].p99_ms / latency["volatile"].p99_ms, 3)
        }
        results += [wrk, tail]
    return results


def _reserve_latency(context: Context, url: str, event: str, users: list[str], mode: str) -> Load:
    count = int(RESERVE_RATE * context.seconds)
    targets = context.workdir / f"reserve-latency-{mode}.json"
    write_targets(
        targets, (reserve_target(url, event, users[n % len(users)]) for n in range(count))
    )
    say(f"redis {mode}: vegeta {RESERVE_RATE:,}/s for {context.seconds:.0f} s")
    return run_vegeta(targets, RESERVE_RATE, context.seconds, context.workdir / f"{mode}.bin")


@contextmanager
def _redis_persistence(stack: Stack, *, durable: bool) -> Iterator[None]:
    """The run's Redis with its AOF on and fsynced on every write, or off; back to durable
    afterwards (what the other scenarios measure)."""
    client = stack.redis()
    try:
        if durable:
            client.config_set("appendonly", "yes")
            client.config_set("appendfsync", "always")
        else:
            client.config_set("appendonly", "no")
        yield
    finally:
        client.config_set("appendonly", "yes")
        client.config_set("appendfsync", "always")
        client.close()
