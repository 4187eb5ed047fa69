"""Request budgets: how many requests one client may make, as a token bucket.

A bucket lets ``burst`` requests through at once and refills at ``per_second``. It is kept as
one number, its *theoretical arrival time* (GCRA, the generic cell rate algorithm of ATM
networks, which is a token bucket stated as a time): each request moves it one interval
(``1 / per_second``) later, and a request is refused while it lies more than ``burst - 1``
intervals ahead of now. One number per bucket keeps the Redis side to one string key (and one
script call) per check; ``spend`` is the rule the adapters follow (the Redis script restates it
in Lua). Times are in microseconds, so that intervals like a third of a second stay exact
enough in integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

MICROSECONDS = 1_000_000


@dataclass(frozen=True, slots=True)
class Budget:
    """``burst`` requests at once, then ``per_second`` on average."""

    per_second: float
    burst: int

    def __post_init__(self) -> None:
        if not (self.per_second > 0 and self.burst >= 1):
            raise ValueError(f"a budget needs a rate > 0 and a burst >= 1, not {self}")

    @property
    def interval_us(self) -> int:
        """How much later each request moves the bucket's arrival time."""
        return max(1, round(MICROSECONDS / self.per_second))

    @property
    def tolerance_us(self) -> int:
        """How far ahead of now the arrival time may be for a request to pass."""
        return (self.burst - 1) * self.interval_us

    def __str__(self) -> str:
        return f"{self.per_second:g}/s, burst {self.burst}"


@dataclass(frozen=True, slots=True)
class Spent:
    """What one request did to a bucket: ``arrival_us`` is the bucket's time after it (the
    same as before when refused); ``wait_us`` is 0 when it passed, else how long until one
    would."""

    arrival_us: int
    wait_us: int

    @property
    def passed(self) -> bool:
        return self.wait_us == 0


def spend(arrival_us: int, budget: Budget, now_us: int) -> Spent:
    """One request against a bucket whose arrival time is ``arrival_us`` (0: a new bucket)."""
    arrival = max(arrival_us, now_us)
    wait = arrival - budget.tolerance_us - now_us
    if wait > 0:
        return Spent(arrival_us, wait)
    return Spent(arrival + budget.interval_us, 0)


def retry_after_seconds(wait_us: int) -> int:
    """``Retry-After`` in whole seconds (RFC 9110): rounded up, so that waiting it is enough."""
    return max(1, math.ceil(wait_us / MICROSECONDS))
