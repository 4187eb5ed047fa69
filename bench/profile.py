"""Where one API process spends its time under load: ``python -m bench.profile reserve``.

The same setup as the benchmark (real stack, private Redis, worker running), wrk at full
speed on one route, and py-spy sampling the API's worker process meanwhile. Writes a text
summary (the frames with the most samples, by their own time and with what they call) to
bench/results/profile-<route>.txt; docs/benchmarks.md quotes them.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from bench.context import Context, say
from bench.procs import Processes
from bench.sale import WAITING_ROOM, Sale, write_tokens
from bench.scenarios.throughput import admitted_crowd
from bench.stack import open_stack, start_api, start_worker
from bench.tools import ROOT, run_wrk

RESULTS = ROOT / "bench" / "results"
RATE_HZ = 250
TOP = 30
_RUNNER_FRAMES = (
    "granian/server",
    "multiprocessing/",
    "entrypoints/cli/main.py",
    "cli/serve.py",
    "<module> (ticketing",
)
"""Frames of every sample (the process starting its worker): left out of the summary."""


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    if not Path(found).exists():
        raise SystemExit("bench.profile: py-spy is missing (pip install py-spy)")
    return found


def summary(raw: Path) -> str:
    """The frames with the most samples: by their own time, then with their callees."""
    own: Counter[str] = Counter()
    total: Counter[str] = Counter()
    samples = 0
    for line in raw.read_text().splitlines():
        stack, _, count_text = line.rpartition(" ")
        count = int(count_text)
        every = [frame for frame in stack.split(";") if frame]
        frames = [f for f in every if not any(runner in f for runner in _RUNNER_FRAMES)]
        samples += count
        if frames:
            own[frames[-1]] += count
        else:  # no Python frame of ours on top: uvloop's C loop, or a native thread
            own["(event loop, native)" if every else "(native thread)"] += count
        for frame in set(frames):
            total[frame] += count
    lines = [f"{samples} samples at {RATE_HZ} Hz", "", "own time:"]
    lines += [f"{n / samples:6.1%}  {frame}" for frame, n in own.most_common(TOP)]
    lines += ["", "with callees:"]
    lines += [f"{n / samples:6.1%}  {frame}" for frame, n in total.most_common(TOP * 2)]
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("route", choices=["reserve", "enter"])
    parser.add_argument("--seconds", type=float, default=10.0)
    arguments = parser.parse_args()
    spy = py_spy()
    with tempfile.TemporaryDirectory(prefix="bench-profile-") as temporary:
        workdir = Path(temporary)
        processes = Processes(workdir)
        try:
            with open_stack(processes, workdir) as stack:
                context = Context(processes, stack, workdir, arguments.seconds)
                api = start_api(processes, stack, "stack")
                start_worker(processes, stack)
                sale = Sale(api.url, workdir)
                if arguments.route == "reserve":
                    event, users = admitted_crowd(context, sale, "profile")
                    tokens = write_tokens(workdir / "tokens.txt", event, users)
                    env = {"BENCH_TOKENS": str(tokens), "BENCH_EVENT": event}
                else:
                    env = {"BENCH_EVENT": sale.create_event("profile", **WAITING_ROOM)}
                    env["BENCH_PREFIX"] = "p"
                raw = workdir / "profile.raw"
                record = [spy, "record", "--nonblocking", "--rate", str(RATE_HZ)]
                record += ["--duration", str(int(arguments.seconds) - 2), "--format", "raw"]
                record += ["--pid", str(api.worker_pids()[0]), "--output", str(raw)]
                say(f"profile: wrk on {arguments.route}, py-spy on the API process")
                sampling = subprocess.Popen(record, stdout=subprocess.DEVNULL)
                load = run_wrk(api.url, arguments.route, arguments.seconds, env)
                sampling.wait()
                sale.close()
        finally:
            processes.stop_all()
        text = f"{arguments.route}: {load.throughput_rps:,.0f} req/s under wrk\n" + summary(raw)
        (RESULTS / f"profile-{arguments.route}.txt").write_text(text)
        print(text)


if __name__ == "__main__":
    main()
