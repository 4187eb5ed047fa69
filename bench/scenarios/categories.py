"""Reserve throughput with seat categories (issue 16): the same reserve load (wrk, one seat a
request) on a sale without categories, on a sale with one category, and on a sale with five
where every reserve names the same one, in one run on one API process of the full stack.
The reserve script touches only the categories a reserve names, so the four it does not name
should cost nothing: the target is 5 categories >= 0.9 x 1 category.

Each sale has its crowd admitted first; then the loads go none, 1, 5, 5, 1, none, and each
kind is the mean of its two runs, so that a steady drift of the machine and of the run's Redis
(its data grows) falls on every kind alike."""

from __future__ import annotations

from typing import Any

from bench.context import Context, say
from bench.results import Result
from bench.sale import Sale
from bench.scenarios.throughput import admitted_crowd, reserve_load
from bench.stack import start_api
from bench.tools import Load

TOUCHED = "c0"
"""The category every reserve names."""
SEATS = 10_000_000
"""A sale's seats (the most it may have), split evenly over its categories."""
KINDS = {"none": 0, "1": 1, "5": 5}
"""A sale's kind: how many seat categories it has."""
NAMES = {
    "none": "reserve_no_categories",
    "1": "reserve_1_category",
    "5": "reserve_5_categories",
}
ORDER = ("none", "1", "5", "5", "1", "none")
TARGET = 0.9
"""Reserve with 5 categories over reserve with 1, at least."""


def category_cost(context: Context) -> list[Result]:
    api = start_api(context.processes, context.stack, "stack", name="api-categories")
    sale = Sale(api.url, context.workdir)
    runs: dict[str, list[tuple[int, Load, dict[str, object]]]] = {kind: [] for kind in KINDS}
    try:
        crowds = {
            kind: admitted_crowd(context, sale, f"categories-{kind}", **_sale(count))
            for kind, count in KINDS.items()
        }
        for run, kind in enumerate(ORDER):
            event, users = crowds[kind]
            env = {"BENCH_CATEGORY": TOUCHED} if KINDS[kind] else {}
            load, spent = reserve_load(
                context, f"categories-{kind}-{run + 1}", api, event, users, env=env
            )
            runs[kind].append((run + 1, load, spent))
    finally:
        sale.close()
        context.processes.stop(api.process)
    loads = {kind: [load for _, load, _ in done] for kind, done in runs.items()}
    rps = {kind: _mean([load.throughput_rps for load in done]) for kind, done in loads.items()}
    five_over_one = rps["5"] / rps["1"]
    errors = sum(load.errors for done in loads.values() for load in done)
    met = five_over_one >= TARGET and not errors
    if errors:
        say(f"categories: {errors:,} reserves failed")
    say(
        f"categories: reserve with 5 categories / with 1 = {five_over_one:.3f}, "
        f"1 category / none = {rps['1'] / rps['none']:.3f}"
    )
    say(
        f"target: reserve with 5 categories >= {TARGET} x with 1 category: "
        f"{'met' if met else 'not met'}"
    )
    results = []
    for kind, done in runs.items():
        result = Result.of(NAMES[kind], "wrk", _mean_load(loads[kind]))
        result.baseline_ratio = context.ratio(rps[kind])
        result.details = {
            "categories": KINDS[kind],
            **_mean_cpu([spent for _, _, spent in done]),
            "runs": [
                {
                    "run": run,
                    "throughput_rps": round(load.throughput_rps, 1),
                    "p50_ms": round(load.p50_ms, 2),
                    "p99_ms": round(load.p99_ms, 2),
                    "errors": load.errors,
                }
                for run, load, _ in done
            ],
        }
        if kind == "1":
            result.target = "report the ratio"
            result.details["over_no_categories"] = round(rps["1"] / rps["none"], 3)
        if kind == "5":
            result.target = f">= {TARGET} x 1 category"
            result.met = met
            result.details["over_1_category"] = round(five_over_one, 3)
            result.details["over_1_category_by_half"] = [
                round(five.throughput_rps / one.throughput_rps, 3)
                for five, one in zip(loads["5"], loads["1"], strict=True)
            ]
        results.append(result)
    return results


def _sale(count: int) -> dict[str, Any]:
    """The fields of a sale with ``count`` categories of ``SEATS // count`` seats each."""
    if not count:
        return {"totalSeats": SEATS}
    categories = [
        {"categoryId": f"c{n}", "name": f"Category {n}", "seats": SEATS // count, "maxPerUser": 10}
        for n in range(count)
    ]
    return {"totalSeats": SEATS // count * count, "categories": categories}


def _mean(values: list[float]) -> float:
    return sum(values) / len(values)


def _mean_load(loads: list[Load]) -> Load:
    """The runs of one kind as one: mean rates and percentiles, errors summed."""
    kinds: dict[str, int] = {}
    for load in loads:
        for kind, count in load.error_kinds.items():
            kinds[kind] = kinds.get(kind, 0) + count
    return Load(
        requests=sum(load.requests for load in loads),
        throughput_rps=_mean([load.throughput_rps for load in loads]),
        p50_ms=_mean([load.p50_ms for load in loads]),
        p95_ms=_mean([load.p95_ms for load in loads]),
        p99_ms=_mean([load.p99_ms for load in loads]),
        max_ms=max(load.max_ms for load in loads),
        errors=sum(load.errors for load in loads),
        error_kinds=kinds,
    )


def _mean_cpu(spent: list[dict[str, object]]) -> dict[str, object]:
    """``bench.cpu.per_request`` of the runs of one kind, averaged."""
    mean: dict[str, object] = {}
    for part in ("cpu_us_per_request", "busy_cores"):
        groups = [run[part] for run in spent]
        assert all(isinstance(group, dict) for group in groups)
        names = groups[0]
        assert isinstance(names, dict)
        mean[part] = {
            name: round(_mean([group[name] for group in groups if isinstance(group, dict)]), 2)
            for name in names
        }
    return mean
