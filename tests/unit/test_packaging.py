"""The library installs under names of its own (ADR 0010): ``src/adapters`` as
``ticketing_adapters`` and ``src/entrypoints`` as ``ticketing_entrypoints``, so it never shadows
PyPI's ``entrypoints``."""

from __future__ import annotations

import subprocess
import sys
import tomllib
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
INSTALLED_NAMES = {
    "ticketing_core": "src/ticketing_core",
    "ticketing_adapters": "src/adapters",
    "ticketing_entrypoints": "src/entrypoints",
}
SHIPPED_DATA = {".lua", ".sql", ".html", ".js", ".css"}


def _setuptools_table() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as file:
        table: dict[str, object] = tomllib.load(file)["tool"]["setuptools"]
    return table


def _source_files() -> Iterator[tuple[str, tuple[str, ...], Path]]:
    """Every file under the three roots: its installed name, its parts below the root, its path."""
    for name, folder in INSTALLED_NAMES.items():
        root = ROOT / folder
        for path in root.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                yield name, path.relative_to(root).parts, path


def _folders_with_files() -> set[str]:
    """Every package an installation needs: each folder under the three roots holding a file."""
    return {".".join((name, *parts[:-1])) for name, parts, _ in _source_files()}


def test_the_build_maps_each_folder_to_its_installed_name() -> None:
    assert _setuptools_table()["package-dir"] == INSTALLED_NAMES


def test_every_folder_is_listed_as_a_package() -> None:
    assert set(_setuptools_table()["packages"]) == _folders_with_files()  # type: ignore[call-overload]


def test_the_old_import_names_are_not_importable() -> None:
    """Only the installed names import: the folder names would be the clashing ones."""
    for clashing in ("adapters", "entrypoints"):
        found = subprocess.run(
            [sys.executable, "-c", f"import importlib.util as u; print(u.find_spec({clashing!r}))"],
            capture_output=True,
            text=True,
            check=True,
            cwd="/",
        )
        assert found.stdout.strip() == "None", f"{clashing} is importable: {found.stdout}"


def test_mypy_sees_each_package_under_its_installed_name() -> None:
    for name, folder in INSTALLED_NAMES.items():
        link = ROOT / "typecheck" / name
        assert link.is_symlink(), f"typecheck/{name} is not a symlink"
        assert link.resolve() == (ROOT / folder).resolve()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    """The wheel a user installs, built the way pip builds it."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(out), str(ROOT)],
        check=True,
        timeout=300,
    )
    (built,) = out.glob("ticketing-*.whl")
    return zipfile.ZipFile(built)


def test_the_wheel_installs_only_the_three_names(wheel: zipfile.ZipFile) -> None:
    top_level = {name.split("/")[0] for name in wheel.namelist() if ".dist-info" not in name}
    assert top_level == set(INSTALLED_NAMES)


def test_the_wheel_ships_every_script_schema_and_page(wheel: zipfile.ZipFile) -> None:
    shipped = set(wheel.namelist())
    expected = {
        "/".join((name, *parts))
        for name, parts, path in _source_files()
        if path.suffix in SHIPPED_DATA
    }
    assert expected, "no data files found: the test would prove nothing"
    assert expected <= shipped, sorted(expected - shipped)


def test_the_command_points_at_the_installed_name(wheel: zipfile.ZipFile) -> None:
    (entry_points,) = (n for n in wheel.namelist() if n.endswith("entry_points.txt"))
    assert "ticketing = ticketing_entrypoints.cli.main:main" in wheel.read(entry_points).decode()
