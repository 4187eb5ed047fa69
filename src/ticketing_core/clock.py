"""Time as a dependency. The core counts time in integer epoch milliseconds, so that every
adapter (Python or Lua) does exact, identical arithmetic."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    def now_ms(self) -> int:
        """Milliseconds since the Unix epoch."""
        ...


class SystemClock:
    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock that moves only when told to: tests and simulations control time with it."""

    def __init__(self, start_ms: int = 1_700_000_000_000) -> None:
        self._now = start_ms

    def now_ms(self) -> int:
        return self._now

    def advance(self, milliseconds: int) -> None:
        if milliseconds < 0:
            raise ValueError("time does not run backwards")
        self._now += milliseconds

    def set(self, now_ms: int) -> None:
        self._now = now_ms


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def to_datetime(epoch_ms: int) -> datetime:
    """Exact: ``EPOCH`` plus whole milliseconds (float seconds would round far from the epoch)."""
    return EPOCH + timedelta(milliseconds=epoch_ms)


def to_epoch_ms(moment: datetime) -> int:
    """Exact whole milliseconds since the epoch, rounded down; a naive time is read as UTC."""
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return (aware - EPOCH) // timedelta(milliseconds=1)
