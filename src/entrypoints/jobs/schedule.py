"""Which events the background drivers visit in a round: busy ones every round, quiet ones
once in a while.

A sale with nobody waiting, nobody admitted and no seat held has nothing to admit or expire,
and its outbox is empty a round or two after its last change. Ticking, relaying and reading
it every round would cost each instance a few Redis calls a round for every sale there ever
was. Instead a quiet event is visited once per ``idle_interval`` (which also notices a change
made through another instance), and a change through this instance, or a tick or relay
round that did something (``wake``), makes it busy again at once.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from ticketing_core.model import EventStats

QUIET_READINGS = 2
"""Stats must show an event quiet this many times in a row before its visits thin out: the
round that expired its last hold also recorded a message, which a relay round still has to
publish."""


class DrivingSchedule:
    def __init__(
        self, idle_interval: float, monotonic: Callable[[], float] = time.monotonic
    ) -> None:
        self._idle_interval = idle_interval
        self._monotonic = monotonic
        self._quiet_readings: dict[str, int] = {}
        self._next_visit: dict[tuple[str, str], float] = {}

    def wake(self, event_id: str) -> None:
        """A change went through this instance: visit the event every round again."""
        self._quiet_readings.pop(event_id, None)

    def observe(self, event_id: str, stats: EventStats) -> None:
        """Takes in a reading of the event's stats."""
        if stats.waiting_users or stats.active_users or stats.pending_seats:
            self._quiet_readings.pop(event_id, None)
        else:
            self._quiet_readings[event_id] = self._quiet_readings.get(event_id, 0) + 1

    def is_quiet(self, event_id: str) -> bool:
        return self._quiet_readings.get(event_id, 0) >= QUIET_READINGS

    def due(self, job: str, event_ids: Iterable[str]) -> list[str]:
        """The events ``job`` visits this round: every busy one, and each quiet one once per
        idle interval."""
        now = self._monotonic()
        due = []
        for event_id in event_ids:
            if self.is_quiet(event_id):
                visit = (job, event_id)
                if now < self._next_visit.get(visit, now):
                    continue
                self._next_visit[visit] = now + self._idle_interval
            due.append(event_id)
        return due
