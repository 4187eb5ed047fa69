"""Busy sales are driven every round; quiet ones once in a while, until something happens."""

from __future__ import annotations

from ticketing_core.model import EventStats
from ticketing_entrypoints.jobs.schedule import QUIET_READINGS, DrivingSchedule

IDLE_INTERVAL = 5.0
QUIET = EventStats(
    remaining_seats=10, waiting_users=0, active_users=0, pending_seats=0, confirmed_seats=3
)


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def quiet_schedule(clock: Clock, event_id: str = "show") -> DrivingSchedule:
    schedule = DrivingSchedule(IDLE_INTERVAL, clock)
    for _ in range(QUIET_READINGS):
        schedule.observe(event_id, QUIET)
    return schedule


def rounds_visited(schedule: DrivingSchedule, clock: Clock, seconds: float) -> int:
    """How many of the 0.1 s tick rounds over ``seconds`` visit the event."""
    visited = 0
    for _ in range(round(seconds / 0.1)):
        visited += len(schedule.due("tick", ["show"]))
        clock.now += 0.1
    return visited


def test_an_event_never_read_is_visited_every_round() -> None:
    clock = Clock()
    schedule = DrivingSchedule(IDLE_INTERVAL, clock)

    assert rounds_visited(schedule, clock, 10) == 100


def test_a_quiet_event_is_visited_once_per_idle_interval() -> None:
    clock = Clock()
    schedule = quiet_schedule(clock)

    assert rounds_visited(schedule, clock, 10) == 2
    assert schedule.due("relay", ["show"]) == ["show"], "each job keeps its own visits"


def test_one_quiet_reading_is_not_enough() -> None:
    clock = Clock()
    schedule = DrivingSchedule(IDLE_INTERVAL, clock)
    schedule.observe("show", QUIET)

    assert rounds_visited(schedule, clock, 1) == 10


def test_a_change_through_this_instance_makes_it_busy_at_once() -> None:
    clock = Clock()
    schedule = quiet_schedule(clock)
    schedule.due("tick", ["show"])  # the quiet visit of this interval

    schedule.wake("show")

    assert rounds_visited(schedule, clock, 1) == 10


def test_a_reading_with_people_waiting_admitted_or_holding_makes_it_busy() -> None:
    for busy in (
        EventStats(10, waiting_users=1, active_users=0, pending_seats=0, confirmed_seats=0),
        EventStats(10, waiting_users=0, active_users=1, pending_seats=0, confirmed_seats=0),
        EventStats(10, waiting_users=0, active_users=0, pending_seats=2, confirmed_seats=0),
    ):
        clock = Clock()
        schedule = quiet_schedule(clock)

        schedule.observe("show", busy)

        assert not schedule.is_quiet("show")
        assert rounds_visited(schedule, clock, 1) == 10


def test_quiet_and_busy_events_are_scheduled_apart() -> None:
    clock = Clock()
    schedule = quiet_schedule(clock, "old-sale")

    due = [schedule.due("tick", ["old-sale", "new-sale"]) for _ in range(3)]

    assert due == [["old-sale", "new-sale"], ["new-sale"], ["new-sale"]]
