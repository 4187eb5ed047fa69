"""Waiting that gives way to a shutdown."""

from __future__ import annotations

import asyncio
import contextlib


async def pause(stopping: asyncio.Event, seconds: float) -> None:
    """Sleeps ``seconds``, but returns at once when ``stopping`` is set (or already was)."""
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
