"""``make bench`` / ``python -m bench``: every scenario of issue 6, one table, one JSON file.

Brings up what it needs (the shared services through scripts/services.sh, a private Redis,
API servers, the worker), runs each scenario's load with wrk or vegeta in their own processes,
prints the table and writes bench/results/latest.json. Everything it started stops when it
ends, however it ends (Ctrl-C included). docs/benchmarks.md explains the numbers.
"""

from __future__ import annotations

import argparse
import signal
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from types import FrameType

from bench import machine
from bench.context import Context, say
from bench.procs import Processes
from bench.results import Result, cpu_lines, table, write
from bench.sale import Sale
from bench.scenarios import (
    categories,
    durability,
    end_to_end,
    limits,
    streams,
    throughput,
    tick,
    worker,
)
from bench.stack import open_stack, start_api, start_baseline, start_worker
from bench.tools import ROOT, vegeta, wrk

RESULTS = ROOT / "bench" / "results" / "latest.json"
SCENARIOS = (
    "throughput",
    "e2e",
    "sse",
    "worker",
    "scale",
    "relay",
    "durability",
    "tick",
    "limits",
    "categories",
)

ON_THEIR_OWN: dict[str, Callable[[Context], list[Result]]] = {
    "worker": lambda context: [worker.backlog(context)],
    "scale": lambda context: [throughput.scale_out(context)],
    "relay": throughput.relay_placement,
    "durability": durability.durability,
    "tick": tick.tick_cost,
    "limits": limits.limit_cost,
    "categories": categories.category_cost,
}
"""The scenarios that start what they need themselves, in the order they run."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="per load (default 10)")
    parser.add_argument(
        "--only", default=",".join(SCENARIOS), help=f"comma-separated of {', '.join(SCENARIOS)}"
    )
    parser.add_argument("--output", type=Path, default=RESULTS)
    arguments = parser.parse_args()
    chosen = {name.strip() for name in arguments.only.split(",") if name.strip()}
    unknown = chosen - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios: {', '.join(sorted(unknown))}")
    _stop_on_signals()
    started = time.monotonic()
    vegeta(), wrk()
    with tempfile.TemporaryDirectory(prefix="bench-") as temporary:
        workdir = Path(temporary)
        processes = Processes(workdir)
        try:
            results = run(processes, workdir, arguments.seconds, chosen)
        finally:
            processes.stop_all()
    elapsed = time.monotonic() - started
    header = {
        "commit": machine.commit(),
        "machine": machine.machine(),
        "seconds_per_load": arguments.seconds,
        "elapsed_seconds": round(elapsed),
    }
    write(arguments.output, results, header)
    print()
    print(table(results))
    print("", *cpu_lines(results), sep="\n")
    print(f"\n{len(results)} results in {elapsed:.0f} s; written to {arguments.output}")


def run(processes: Processes, workdir: Path, seconds: float, chosen: set[str]) -> list[Result]:
    results: list[Result] = []
    with open_stack(processes, workdir) as stack:
        context = Context(processes, stack, workdir, seconds)
        say(f"run {stack.run_id}: private Redis {stack.redis_url}, topics bench.{stack.run_id}.*")
        baseline_server = start_baseline(processes)
        first = throughput.baseline(context, baseline_server, "before")
        results.append(first)
        context.baseline_rps = first.throughput_rps or 0.0
        if "throughput" in chosen or "e2e" in chosen:
            api = start_api(processes, stack, "stack")
            persister = start_worker(processes, stack)
            sale = Sale(api.url, workdir)
            try:
                if "throughput" in chosen:
                    entered, event, count = throughput.enter(context, api, sale)
                    results += [entered, throughput.status(context, api, event, count)]
                    reserve_event, users = throughput.admitted_crowd(context, sale, "reserve")
                    results.append(throughput.reserve(context, api, sale, reserve_event, users))
                    results.append(
                        throughput.reserve_latency(context, api, sale, reserve_event, users)
                    )
                if "e2e" in chosen:
                    results.append(end_to_end.reserve_to_row(context, api, sale))
            finally:
                sale.close()
                processes.stop(api.process)
                processes.stop(persister.process)
        if "sse" in chosen:
            persister = start_worker(processes, stack)
            try:
                results += streams.streams(context)
            finally:
                processes.stop(persister.process)
        for name, scenario in ON_THEIR_OWN.items():
            if name in chosen:
                results += scenario(context)
        last = throughput.baseline(context, baseline_server, "after")
        results.append(last)
        _rebase(results, context, first, last)
    return results


def _rebase(results: list[Result], context: Context, first: Result, last: Result) -> None:
    """Ratios against the mean of the baselines measured before and after the scenarios."""
    measured = [r.throughput_rps for r in (first, last) if r.throughput_rps]
    context.baseline_rps = sum(measured) / len(measured)
    for result in results:
        if result.baseline_ratio is not None and result.throughput_rps is not None:
            result.baseline_ratio = context.ratio(result.throughput_rps)
    for result in (first, last):
        result.baseline_ratio = context.ratio(result.throughput_rps or 0.0)


def _stop_on_signals() -> None:
    """SIGTERM ends the run like Ctrl-C does: through the ``finally`` that stops everything."""

    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    handler: Callable[[int, FrameType | None], None] = interrupt
    signal.signal(signal.SIGTERM, handler)


if __name__ == "__main__":
    main()
