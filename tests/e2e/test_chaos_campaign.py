"""The short fault campaign (``python -m chaos``, docs/reliability.md): a minute of random
kills and pauses of Redis, Kafka, PostgreSQL, the workers and the API instances under a mixed
crowd, at least 20 faults, and every invariant the checker judges from the record holds."""

from __future__ import annotations

import random
import subprocess
import sys

from tests.support.stack import ROOT

CAMPAIGN_SECONDS = 60
MIN_FAULTS = 20
GIVE_UP_SECONDS = 600
"""Set-up, the campaign, the settling after it: far more than they take."""


def test_a_short_campaign_holds_every_invariant() -> None:
    seed = random.randrange(2**32)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "chaos",
            "--seconds",
            str(CAMPAIGN_SECONDS),
            "--seed",
            str(seed),
            "--min-faults",
            str(MIN_FAULTS),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=GIVE_UP_SECONDS,
        check=False,
    )
    print(done.stdout)
    assert done.returncode == 0, f"seed {seed}:\n{done.stdout}\n{done.stderr[-5000:]}"
    assert "BROKEN" not in done.stdout
