"""Stores batches of messages, telling a refused message from an unavailable database.

- The database is unavailable (connection lost, restarting, deadlock): nothing is wrong with
  the messages, so the write is retried, with capped backoff, until it passes. Giving up here
  would dead-letter reservations that must reach the database.
- The database refuses the data (a constraint, a value out of range): the batch is retried a
  bounded number of times (a missing event row may still arrive), then split in halves until
  the refused messages are isolated; only those are returned, the rest is stored.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ticketing_core.messages import Message
from ticketing_core.ports import ReservationRepository
from ticketing_entrypoints.jobs.stopping import pause

log = logging.getLogger(__name__)


class WriteAborted(Exception):
    """Shutdown was asked for while the database was unavailable: the batch is not stored."""


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts_when_refused: int = 3
    first_backoff_seconds: float = 0.1
    max_backoff_seconds: float = 5.0


@dataclass(frozen=True, slots=True)
class Refusal:
    message: Message
    error: Exception


class BatchWriter:
    def __init__(
        self,
        repository: ReservationRepository,
        rejects_data: Callable[[BaseException], bool],
        stopping: asyncio.Event,
        policy: RetryPolicy | None = None,
    ) -> None:
        self._repository = repository
        self._rejects_data = rejects_data
        self._stopping = stopping
        self._policy = policy or RetryPolicy()
        self.unavailable_retries = 0
        """How often a write waited for the database: an operator's signal, and tests'."""

    async def write(self, messages: Sequence[Message]) -> list[Refusal]:
        """Stores ``messages``; returns those refused for their content (nothing else stored
        is lost). Raises ``WriteAborted`` if asked to stop while the database is away."""
        if not messages:
            return []
        error = await self._write_retrying_refusals(messages)
        if error is None:
            return []
        return await self._isolate(messages, error)

    async def _write_retrying_refusals(self, messages: Sequence[Message]) -> Exception | None:
        backoff = self._policy.first_backoff_seconds
        for attempt in range(1, self._policy.attempts_when_refused + 1):
            error = await self._write_once(messages)
            if error is None:
                return None
            log.warning("batch of %d refused (attempt %d): %s", len(messages), attempt, error)
            if attempt < self._policy.attempts_when_refused:
                await self._pause(backoff)
                backoff = min(2 * backoff, self._policy.max_backoff_seconds)
        return error

    async def _isolate(self, messages: Sequence[Message], error: Exception) -> list[Refusal]:
        """Bisects a refused batch: log2(n) writes find one bad message among n."""
        if len(messages) == 1:
            return [Refusal(messages[0], error)]
        middle = len(messages) // 2
        refused = []
        for half in (messages[:middle], messages[middle:]):
            half_error = await self._write_once(half)
            if half_error is not None:
                refused += await self._isolate(half, half_error)
        return refused

    async def _write_once(self, messages: Sequence[Message]) -> Exception | None:
        """One write that the data allows or refuses: returns the refusal, or None once stored,
        waiting out an unavailable database for as long as it takes."""
        backoff = self._policy.first_backoff_seconds
        while True:
            try:
                await self._repository.apply(messages)
            except Exception as error:
                if self._rejects_data(error):
                    return error
                if self._stopping.is_set():
                    raise WriteAborted("stopping while the database is unavailable") from error
                self.unavailable_retries += 1
                log.error("database unavailable, retrying in %.1f s: %s", backoff, error)
                await self._pause(backoff)
                backoff = min(2 * backoff, self._policy.max_backoff_seconds)
            else:
                return None

    async def _pause(self, seconds: float) -> None:
        """Sleeps, but wakes at once when shutdown is asked for."""
        await pause(self._stopping, seconds)
