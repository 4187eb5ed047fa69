"""Who spent the CPU during a load: the API, Redis, the load generator and the machine.

Measured from /proc around the load (the API's served processes, the run's private
redis-server; the load generator as this process's children), divided by the requests it
answered: CPU per request is what the capacity model needs, and what the 2-core machine's
ceiling follows from.
"""

from __future__ import annotations

import resource
import time
from collections.abc import Callable, Mapping, Sequence
from typing import TypeVar

from bench.procs import cpu_seconds, machine_cpu_seconds

T = TypeVar("T")


def measure_cpu(
    pids: Mapping[str, Sequence[int]], load: Callable[[], T]
) -> tuple[T, dict[str, float]]:
    """Runs ``load``; answers its result and the CPU seconds each named group of processes,
    the load generator (``loadgen``) and the whole machine (``machine``) used meanwhile, and
    the load's wall time (``wall``)."""
    before = {name: sum(cpu_seconds(pid) for pid in group) for name, group in pids.items()}
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    machine_busy, _ = machine_cpu_seconds()
    started = time.monotonic()
    result = load()
    wall = time.monotonic() - started
    after_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    used = {
        name: sum(cpu_seconds(pid) for pid in group) - before[name] for name, group in pids.items()
    }
    used["loadgen"] = (after_children.ru_utime + after_children.ru_stime) - (
        children.ru_utime + children.ru_stime
    )
    used["machine"] = machine_cpu_seconds()[0] - machine_busy
    used["wall"] = wall
    return result, used


def per_request(used: Mapping[str, float], requests: int) -> dict[str, object]:
    """CPU microseconds per request of each group, and the machine's busy cores."""
    wall = used["wall"]
    return {
        "cpu_us_per_request": {
            name: round(seconds / requests * 1e6, 1)
            for name, seconds in used.items()
            if name != "wall"
        },
        "busy_cores": {
            name: round(seconds / wall, 2) for name, seconds in used.items() if name != "wall"
        },
    }
