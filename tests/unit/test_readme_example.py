"""The README's library example runs exactly as written."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).parents[2] / "README.md"


def readme_example() -> str:
    text = README.read_text()
    found = re.search(
        r"<!-- readme-example:start -->\n```python\n(.*?)```\n<!-- readme-example:end -->",
        text,
        re.DOTALL,
    )
    assert found, "the README lost its example"
    return found.group(1)


def test_the_readme_example_runs_as_written() -> None:
    done = subprocess.run(
        [sys.executable, "-c", readme_example()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "ada is ADMITTED" in done.stdout
    assert "bob: sold_out" in done.stdout
    assert "status=<ReservationStatus.CONFIRMED" in done.stdout
