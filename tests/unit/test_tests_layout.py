"""The tests' own layout: shared helpers live in ``tests/support``, no folder imports another,
and no helper module imports itself round a cycle."""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

TESTS = Path(__file__).resolve().parents[1]
FOLDERS = ("unit", "integration", "api", "e2e")
SHARED = {"eventually", "until", "free_port", "read_topic", "leased_database"}
"""Helpers that must have one definition, in ``tests/support``."""


def module_of(path: Path) -> str:
    parts = path.relative_to(TESTS.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


@cache
def parsed_modules() -> tuple[tuple[str, ast.Module], ...]:
    return tuple(
        (module_of(path), ast.parse(path.read_text(), str(path)))
        for path in sorted(TESTS.rglob("*.py"))
    )


def imported(module: str, tree: ast.Module, known: set[str]) -> set[str]:
    """The ``tests.*`` modules ``module`` imports (``from tests.x import y`` counts as
    ``tests.x.y`` when that is a module, else ``tests.x``)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {alias.name for alias in node.names if alias.name.startswith("tests")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tests"):
            base = node.module or ""
            for alias in node.names:
                found.add(f"{base}.{alias.name}" if f"{base}.{alias.name}" in known else base)
    return found - {module}


def import_graph() -> dict[str, set[str]]:
    known = {module for module, _ in parsed_modules()}
    return {module: imported(module, tree, known) for module, tree in parsed_modules()}


def test_folders_import_only_the_shared_helpers_and_their_own_modules() -> None:
    crossing = {
        (module, target)
        for module, targets in import_graph().items()
        for target in targets
        for folder in [module.split(".")[1] if module.count(".") else ""]
        if not target.startswith(("tests.support", f"tests.{folder}"))
        and not (module == "tests.conftest" and target.startswith("tests.support"))
    }

    assert not crossing, f"imports across test folders: {sorted(crossing)}"


def test_the_shared_helpers_import_no_test_folder() -> None:
    graph = import_graph()
    outward = {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("tests.support")
        for target in targets
        if not target.startswith("tests.support")
    }

    assert not outward, f"tests/support imports a test folder: {sorted(outward)}"


def test_no_test_module_imports_itself_round_a_cycle() -> None:
    graph = import_graph()
    cycles = []

    def visit(module: str, path: list[str]) -> None:
        for target in sorted(graph.get(module, ())):
            if target in path:
                cycles.append([*path[path.index(target) :], target])
            elif target not in done:
                visit(target, [*path, target])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        if module not in done:
            visit(module, [module])

    assert not cycles, f"import cycles: {cycles}"


def test_each_shared_helper_is_defined_once_in_tests_support() -> None:
    definitions = [
        (name, node.name)
        for name, tree in parsed_modules()
        for node in ast.walk(tree)
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.name in SHARED
    ]

    assert all(module.startswith("tests.support.") for module, _ in definitions), definitions
    assert sorted(helper for _, helper in definitions) == sorted(
        {helper for _, helper in definitions}
    ), definitions


def test_every_test_file_lives_in_a_folder_that_says_what_it_runs() -> None:
    strays = [
        path.relative_to(TESTS)
        for path in TESTS.rglob("test_*.py")
        if path.relative_to(TESTS).parts[0] not in FOLDERS
    ]

    assert not strays, f"tests outside {FOLDERS}: {strays}"
