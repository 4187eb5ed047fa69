"""What each scenario measured, the table printed at the end, and bench/results/latest.json."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from bench.tools import Load


@dataclass
class Result:
    scenario: str
    tool: str
    throughput_rps: float | None = None
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    baseline_ratio: float | None = None
    """Throughput over the bare endpoint's, same tool, same run."""
    errors: int = 0
    target: str = ""
    met: bool | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, scenario: str, tool: str, load: Load, **fields: Any) -> Result:
        result = cls(
            scenario=scenario,
            tool=tool,
            throughput_rps=round(load.throughput_rps, 1),
            p50_ms=round(load.p50_ms, 2),
            p95_ms=round(load.p95_ms, 2),
            p99_ms=round(load.p99_ms, 2),
            errors=load.errors,
            **fields,
        )
        if load.error_kinds:
            result.details["errors"] = load.error_kinds
        return result


def _cell(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:,.{digits}f}"


def table(results: list[Result]) -> str:
    rows = [("scenario", "req/s", "x base", "p50 ms", "p95 ms", "p99 ms", "err", "target", "met")]
    for r in results:
        met = "-" if r.met is None else ("yes" if r.met else "NO")
        rows.append(
            (
                r.scenario,
                _cell(r.throughput_rps, 0),
                _cell(r.baseline_ratio, 3),
                _cell(r.p50_ms, 2),
                _cell(r.p95_ms, 2),
                _cell(r.p99_ms, 2),
                str(r.errors),
                r.target,
                met,
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(width) if i in (0, 7) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def cpu_lines(results: list[Result]) -> list[str]:
    """One line per result that measured where the CPU went (``bench.cpu.per_request``)."""
    lines = []
    for r in results:
        split = r.details.get("cpu_us_per_request")
        busy = r.details.get("busy_cores")
        if not split or not busy:
            continue
        parts = ", ".join(f"{name} {us:,.1f}" for name, us in split.items() if name != "machine")
        lines.append(
            f"{r.scenario}: CPU us per request {parts}; whole machine {split['machine']:,.1f} "
            f"({busy['machine']:.2f} of the cores busy)"
        )
    return lines


def write(path: Path, results: list[Result], header: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    document = {**header, "scenarios": {r.scenario: asdict(r) for r in results}}
    temporary = path.with_suffix(".json.tmp")
    temporary.write_text(json.dumps(document, indent=2) + "\n")
    temporary.replace(path)
