"""What every scenario works with: the run's processes, backends, files and durations."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from bench.procs import Processes
from bench.stack import Stack


@dataclass
class Context:
    processes: Processes
    stack: Stack
    workdir: Path
    seconds: float
    """How long each throughput or latency load runs."""
    baseline_rps: float = 0.0
    """The bare endpoint's throughput in this run (what ``baseline_ratio`` divides by)."""

    def ratio(self, throughput_rps: float) -> float | None:
        return round(throughput_rps / self.baseline_rps, 3) if self.baseline_rps else None


def say(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", flush=True)
