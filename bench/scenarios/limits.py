"""What the request budgets cost (issue 15): enter and reserve on fresh API processes with the
limits off, then on, in the same run. With them on, every budget is so large that nothing is
refused: each request pays the checks (one Redis script for the budgets it spends: the
address's, and the buyer's on reserve) and passes, so the difference is the cost of checking
alone; then with the budgets on a Redis of their own without an fsync'd AOF
(``TICKETING_LIMITS_REDIS_URL``: what may be lost needs no fsync). The runs go off, on, on
with their own Redis, off, and "on" is compared with the mean of the two "off": the
machine and the run's Redis drift during a run (its data grows), and this cancels a steady
drift rather than charging it to the limits."""

from __future__ import annotations

from functools import partial

from bench.context import Context, say
from bench.cpu import measure_cpu, per_request
from bench.procs import LOOPBACK
from bench.results import Result
from bench.sale import WAITING_ROOM, Sale, write_tokens
from bench.scenarios.throughput import admitted_crowd
from bench.stack import start_api, start_redis
from bench.tools import Load, run_wrk

UNLIMITED = "999999/999999"
BUDGET_SETTINGS = (
    "ENTER_PER_ADDRESS",
    "READ_PER_ADDRESS",
    "READ_PER_USER",
    "HOLD_PER_ADDRESS",
    "HOLD_PER_USER",
    "STREAM_PER_ADDRESS",
    "STREAM_PER_USER",
    "ADMIN_PER_ADDRESS",
)


def limit_cost(context: Context) -> list[Result]:
    loads: dict[tuple[str, str], list[Load]] = {}
    cpu: dict[tuple[str, str], list[dict[str, object]]] = {}
    own_redis, own_port = start_redis(
        context.processes, context.workdir, name="redis-limits", durable=False
    )
    for run, limits in enumerate(("off", "on", "on_own_redis", "off")):
        settings = {"TICKETING_RATE_LIMITS": "false" if limits == "off" else "true"}
        if limits != "off":
            settings.update({f"TICKETING_LIMIT_{name}": UNLIMITED for name in BUDGET_SETTINGS})
        if limits == "on_own_redis":
            settings["TICKETING_LIMITS_REDIS_URL"] = f"redis://{LOOPBACK}:{own_port}/0"
        api = start_api(
            context.processes,
            context.stack,
            "stack",
            name=f"api-limits-{limits}",
            settings=settings,
        )
        processes = {
            "api": api.worker_pids(),
            "redis": [context.stack.redis_pid],
            "redis_limits": [own_redis.popen.pid],
        }
        sale = Sale(api.url, context.workdir)
        try:
            event = sale.create_event(f"limits-{limits}-{run}-enter", **WAITING_ROOM)
            say(f"limits {limits}: enter, wrk {context.seconds:.0f} s")
            env = {"BENCH_EVENT": event, "BENCH_PREFIX": f"l{run}"}
            load, used = measure_cpu(
                processes, partial(run_wrk, api.url, "enter", context.seconds, env)
            )
            loads.setdefault(("enter", limits), []).append(load)
            cpu.setdefault(("enter", limits), []).append(per_request(used, load.requests))
            reserve_event, users = admitted_crowd(context, sale, f"limits-{limits}-{run}")
            tokens = write_tokens(context.workdir / f"limits-{run}.txt", reserve_event, users)
            say(f"limits {limits}: reserve, wrk {context.seconds:.0f} s")
            env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": reserve_event}
            load, used = measure_cpu(
                processes, partial(run_wrk, api.url, "reserve", context.seconds, env)
            )
            loads.setdefault(("reserve", limits), []).append(load)
            cpu.setdefault(("reserve", limits), []).append(per_request(used, load.requests))
        finally:
            sale.close()
            context.processes.stop(api.process)
    context.processes.stop(own_redis)
    results = []
    for route in ("enter", "reserve"):
        off = sum(load.throughput_rps for load in loads[route, "off"]) / 2
        for limits in ("off", "on", "on_own_redis"):
            for load, spent in zip(loads[route, limits], cpu[route, limits], strict=True):
                name = f"{route}_limits_{limits}"
                result = Result.of(name, "wrk", load, target="report the cost")
                result.baseline_ratio = context.ratio(load.throughput_rps)
                result.details = dict(spent)
                if limits != "off":
                    result.details["cost"] = _cost(cpu[route, "off"], spent)
                    result.details["throughput_over_limits_off"] = round(
                        load.throughput_rps / off, 3
                    )
                results.append(result)
    return results


def _cost(off: list[dict[str, object]], on: dict[str, object]) -> dict[str, float]:
    """CPU microseconds per request that the checks added, by process (against the mean of
    the runs with the limits off)."""
    after = on["cpu_us_per_request"]
    assert isinstance(after, dict)
    before: dict[str, float] = {}
    for run in off:
        used = run["cpu_us_per_request"]
        assert isinstance(used, dict)
        for name, micros in used.items():
            before[name] = before.get(name, 0.0) + micros / len(off)
    return {name: round(after[name] - before.get(name, 0.0), 1) for name in after}
