"""Waiting for a state: the only way a test waits (never a fixed sleep)."""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Awaitable, Callable


async def eventually(
    check: Callable[[], bool | Awaitable[bool]],
    *,
    within: float,
    every: float = 0.05,
    what: str = "the condition",
) -> None:
    """Returns as soon as ``check()`` holds (a plain or an async check); fails naming ``what``
    and how long it waited. For progress of other tasks or processes, which no event announces.
    """
    deadline = time.monotonic() + within
    while True:
        outcome = check()
        if inspect.isawaitable(outcome):
            outcome = await outcome
        if outcome:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} still false after {within} s")
        await asyncio.sleep(every)
