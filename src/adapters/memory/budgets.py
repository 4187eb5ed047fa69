"""Request budgets and spent challenges in this process (the embedded deployment)."""

from __future__ import annotations

import time
from collections.abc import Sequence

from ticketing_core.budgets import Budget, spend

SWEEP_EVERY = 10_000
"""Entries added between two sweeps of what is no longer needed (full buckets, expired
challenges), so that a crowd of one-off clients does not stay in memory."""


def _now_us() -> int:
    return time.monotonic_ns() // 1_000


class MemoryRequestBudgets:
    def __init__(self) -> None:
        self._arrivals: dict[str, int] = {}
        self._added = 0

    async def spend(self, buckets: Sequence[tuple[str, Budget]]) -> tuple[int, int]:
        now = _now_us()
        arrivals, longest = [], (0, 0)
        for index, (bucket, budget) in enumerate(buckets):
            spent = spend(self._arrivals.get(bucket, 0), budget, now)
            if spent.wait_us > longest[1]:
                longest = (index, spent.wait_us)
            arrivals.append((bucket, spent.arrival_us))
        if longest[1]:
            return longest
        for bucket, arrival in arrivals:
            if bucket not in self._arrivals:
                self._added += 1
                if self._added % SWEEP_EVERY == 0:
                    self._sweep(now)
            self._arrivals[bucket] = arrival
        return 0, 0

    def _sweep(self, now_us: int) -> None:
        # An arrival time in the past is a full bucket: the same as no entry.
        self._arrivals = {key: at for key, at in self._arrivals.items() if at > now_us}


class MemorySpentChallenges:
    def __init__(self) -> None:
        self._until: dict[tuple[str, str], int] = {}
        self._added = 0

    async def spend(self, event_id: str, challenge_id: str, valid_for_ms: int) -> bool:
        now = _now_us()
        key = (event_id, challenge_id)
        if self._until.get(key, 0) > now:
            return False
        self._until[key] = now + valid_for_ms * 1_000
        self._added += 1
        if self._added % SWEEP_EVERY == 0:
            self._until = {spent: at for spent, at in self._until.items() if at > now}
        return True
