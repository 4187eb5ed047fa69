"""The domain core imports no I/O library: only the standard library's pure modules,
pydantic and sortedcontainers (and, for the public test harness, hypothesis and asyncio)."""

from __future__ import annotations

import ast
from pathlib import Path

import ticketing_core

CORE = Path(ticketing_core.__file__).parent
PURE = {
    "__future__", "bisect", "collections", "dataclasses", "datetime", "enum", "hashlib",
    "itertools", "math", "re", "time", "typing", "uuid", "pydantic", "sortedcontainers",
    "ticketing_core",
}  # fmt: skip
HARNESS_ONLY = {"hypothesis", "asyncio"}


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
    return found


def test_the_core_imports_only_pure_modules() -> None:
    offenders = {}
    for path in CORE.rglob("*.py"):
        allowed = PURE | (HARNESS_ONLY if "testing" in path.relative_to(CORE).parts else set())
        extra = imported_modules(path) - allowed
        if extra:
            offenders[str(path.relative_to(CORE))] = sorted(extra)
    assert offenders == {}


def test_the_purity_check_would_notice_an_io_import(tmp_path: Path) -> None:
    module = tmp_path / "leaky.py"
    module.write_text("import socket\nfrom redis.asyncio import Redis\n")
    assert imported_modules(module) - PURE == {"socket", "redis"}
