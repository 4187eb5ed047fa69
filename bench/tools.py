"""The load generators, each in a process of its own: wrk for throughput, vegeta for latency at
a constant arrival rate (docs/adr/0005-load-generators.md says why these two)."""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
LUA = Path(__file__).resolve().parent / "lua"
TOOLS = ROOT / ".services" / "bin"
WRK_THREADS = 1
"""One wrk thread outpaces one Python API process many times over and leaves a core free."""
WRK_CONNECTIONS = 64


def vegeta() -> Path:
    binary = TOOLS / "vegeta"
    if not binary.exists():
        raise SystemExit(f"bench: {binary} is missing (scripts/install-bench-tools.sh installs it)")
    return binary


def wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("bench: wrk is missing (scripts/install-bench-tools.sh installs it)")
    return found


@dataclass(frozen=True)
class Load:
    """What a load generator measured: rates in requests/s, latencies in milliseconds."""

    requests: int
    throughput_rps: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    errors: int
    """Answers outside 2xx, and requests that failed (connect, read, timeout)."""
    error_kinds: dict[str, int] = field(default_factory=dict)


def run_wrk(url: str, script: str, seconds: float, env: Mapping[str, str] | None = None) -> Load:
    """``wrk`` with ``bench/lua/<script>.lua`` for ``seconds`` on ``WRK_CONNECTIONS``."""
    done = subprocess.run(
        [
            wrk(),
            f"-t{WRK_THREADS}",
            f"-c{WRK_CONNECTIONS}",
            f"-d{seconds:.0f}s",
            "--timeout=10s",
            "-s",
            str(LUA / f"{script}.lua"),
            url,
        ],
        env={**os.environ, **(env or {}), "BENCH_LUA": str(LUA)},
        capture_output=True,
        text=True,
        check=True,
    )
    lines = [line for line in done.stdout.splitlines() if line.startswith("BENCH_JSON ")]
    if not lines:
        raise RuntimeError(f"wrk printed no result:\n{done.stdout}\n{done.stderr}")
    found = json.loads(lines[-1].removeprefix("BENCH_JSON "))
    kinds = {kind: found[kind] for kind in ("non2xx", "connect", "read", "write", "timeout")}
    return Load(
        requests=found["requests"],
        throughput_rps=found["requests"] / (found["duration_us"] / 1e6),
        p50_ms=found["p50_us"] / 1e3,
        p95_ms=found["p95_us"] / 1e3,
        p99_ms=found["p99_us"] / 1e3,
        max_ms=found["max_us"] / 1e3,
        errors=sum(kinds.values()),
        error_kinds={kind: count for kind, count in kinds.items() if count},
    )


Target = tuple[str, str, bytes | None, Mapping[str, str]]
"""Method, URL, body, headers."""


def write_targets(path: Path, targets: Iterable[Target]) -> int:
    """vegeta's JSON targets format, one request a line; answers how many."""
    count = 0
    with path.open("w") as out:
        for method, url, body, headers in targets:
            target: dict[str, object] = {
                "method": method,
                "url": url,
                "header": {name: [value] for name, value in headers.items()},
            }
            if body is not None:
                target["body"] = base64.b64encode(body).decode()
            out.write(json.dumps(target) + "\n")
            count += 1
    return count


def run_vegeta(
    targets: Path, rate: int, seconds: float | None, results: Path, workers: int = 64
) -> Load:
    """Requests at ``rate`` per second (0: as fast as ``workers`` go) for ``seconds``, or each
    target once when ``seconds`` is None; every result kept in ``results`` (vegeta's format)."""
    command = [
        str(vegeta()),
        "attack",
        "-format=json",
        f"-targets={targets}",
        f"-rate={rate}/s" if rate else "-rate=0",
        f"-output={results}",
        "-timeout=30s",
    ]
    if rate == 0:
        command.append(f"-max-workers={workers}")
    else:
        command.append(f"-workers={workers}")
    command.append(f"-duration={seconds:.0f}s" if seconds is not None else "-lazy")
    subprocess.run(command, check=True, capture_output=True)
    return vegeta_report(results)


def vegeta_report(results: Path) -> Load:
    done = subprocess.run(
        [str(vegeta()), "report", "-type=json", str(results)],
        check=True,
        capture_output=True,
        text=True,
    )
    report = json.loads(done.stdout)
    codes: dict[str, int] = report["status_codes"]
    latencies: dict[str, float] = report["latencies"]
    # With -lazy, each worker that finds the targets exhausted reports one result of code 0.
    exhausted = sum(1 for error in report.get("errors") or [] if "no targets" in error)
    requests = sum(codes.values()) - (codes.get("0", 0) if exhausted else 0)
    ok = sum(count for code, count in codes.items() if code.startswith("2"))
    failed = {code: count for code, count in codes.items() if not code.startswith("2")}
    if exhausted:
        failed.pop("0", None)
    return Load(
        requests=requests,
        throughput_rps=float(report["throughput"]),
        p50_ms=latencies["50th"] / 1e6,
        p95_ms=latencies["95th"] / 1e6,
        p99_ms=latencies["99th"] / 1e6,
        max_ms=latencies["max"] / 1e6,
        errors=requests - ok,
        error_kinds={f"status_{code}": count for code, count in failed.items()},
    )


@dataclass(frozen=True)
class Answer:
    """One request of a vegeta attack: when it was answered (epoch ns), with what."""

    answered_ns: int
    status: int
    body: bytes


def vegeta_answers(results: Path) -> list[Answer]:
    """Every result of an attack, from vegeta's CSV encoding."""
    done = subprocess.run(
        [str(vegeta()), "encode", "--to=csv", str(results)],
        check=True,
        capture_output=True,
        text=True,
    )
    return [
        Answer(int(row[0]) + int(row[2]), int(row[1]), base64.b64decode(row[6]))
        for row in csv.reader(io.StringIO(done.stdout))
    ]
