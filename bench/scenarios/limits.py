"""What the request budgets cost (issue 15): enter and reserve on fresh API processes with the
limits off, then on, in the same run. With them on, every budget is so large that nothing is
refused: each request pays the checks (one Redis script per budget it spends: the address's,
and the buyer's on reserve) and passes, so the difference is the cost of checking alone."""

from __future__ import annotations

from functools import partial

from bench.context import Context, say
from bench.cpu import measure_cpu, per_request
from bench.results import Result
from bench.sale import WAITING_ROOM, Sale, write_tokens
from bench.scenarios.throughput import admitted_crowd
from bench.stack import start_api
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
    loads: dict[tuple[str, str], Load] = {}
    cpu: dict[tuple[str, str], dict[str, object]] = {}
    for limits in ("off", "on"):
        settings = {"TICKETING_RATE_LIMITS": "true" if limits == "on" else "false"}
        if limits == "on":
            settings.update({f"TICKETING_LIMIT_{name}": UNLIMITED for name in BUDGET_SETTINGS})
        api = start_api(
            context.processes,
            context.stack,
            "stack",
            name=f"api-limits-{limits}",
            settings=settings,
        )
        processes = {"api": api.worker_pids(), "redis": [context.stack.redis_pid]}
        sale = Sale(api.url, context.workdir)
        try:
            event = sale.create_event(f"limits-{limits}-enter", **WAITING_ROOM)
            say(f"limits {limits}: enter, wrk {context.seconds:.0f} s")
            env = {"BENCH_EVENT": event, "BENCH_PREFIX": f"l{limits}"}
            load, used = measure_cpu(
                processes, partial(run_wrk, api.url, "enter", context.seconds, env)
            )
            loads["enter", limits], cpu["enter", limits] = load, per_request(used, load.requests)
            reserve_event, users = admitted_crowd(context, sale, f"limits-{limits}")
            tokens = write_tokens(context.workdir / f"limits-{limits}.txt", reserve_event, users)
            say(f"limits {limits}: reserve, wrk {context.seconds:.0f} s")
            env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": reserve_event}
            load, used = measure_cpu(
                processes, partial(run_wrk, api.url, "reserve", context.seconds, env)
            )
            loads["reserve", limits], cpu["reserve", limits] = (
                load,
                per_request(used, load.requests),
            )
        finally:
            sale.close()
            context.processes.stop(api.process)
    results = []
    for route in ("enter", "reserve"):
        for limits in ("off", "on"):
            load = loads[route, limits]
            result = Result.of(f"{route}_limits_{limits}", "wrk", load, target="report the cost")
            result.baseline_ratio = context.ratio(load.throughput_rps)
            result.details = dict(cpu[route, limits])
            if limits == "on":
                result.details["cost"] = _cost(cpu[route, "off"], cpu[route, "on"])
                result.details["throughput_over_limits_off"] = round(
                    load.throughput_rps / loads[route, "off"].throughput_rps, 3
                )
            results.append(result)
    return results


def _cost(off: dict[str, object], on: dict[str, object]) -> dict[str, float]:
    """CPU microseconds per request that the checks added, by process."""
    before, after = off["cpu_us_per_request"], on["cpu_us_per_request"]
    assert isinstance(before, dict)
    assert isinstance(after, dict)
    return {name: round(after[name] - before[name], 1) for name in after}
