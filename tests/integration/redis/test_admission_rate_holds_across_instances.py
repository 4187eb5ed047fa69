"""The admission rate is one budget per event, however many instances tick and however their
clocks disagree: the token bucket lives in Redis and only the admit script changes it."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.redis_servers import Opener, instances, new_event_id
from ticketing_core import EventSettings
from ticketing_core.clock import to_datetime

pytestmark = pytest.mark.anyio

OPENS_MS = 1_800_000_000_000
RATE = 20
BUYERS = 500


def sale(event_id: str) -> EventSettings:
    return EventSettings(
        event_id=event_id,
        name="rate",
        total_seats=10,
        opens_at=to_datetime(OPENS_MS),
        admission_rate_per_second=RATE,
        max_active_users=100_000,
        admission_ttl_seconds=86_400,
    )


async def test_four_instances_ticking_at_once_on_their_own_clocks_admit_at_most_rate_x_t_plus_1(
    open_instance: Opener,
) -> None:
    # Each instance's clock runs behind true time by its own amount. Over any t seconds at
    # most rate x (t + 1) may be admitted; measured on clocks that disagree by up to 45 ms,
    # that is rate x (t + 1 + 0.045): nobody can do better without one shared clock. Four
    # buckets, one per instance, would admit four times as many.
    skews_ms = (0, -15, -30, -45)
    spread_s = 0.045
    async with instances(open_instance, len(skews_ms)) as states:
        settings = sale(new_event_id())
        await states[0].catalog.add(settings, OPENS_MS - 1_000)
        for n in range(BUYERS):
            await states[n % 4].queue.enter(settings, f"buyer-{n}", OPENS_MS - 1_000)

        admitted: list[tuple[int, str]] = []
        for now in range(OPENS_MS - 200, OPENS_MS + 5_001, 50):
            ticks = zip(states, skews_ms, strict=True)
            reports = await asyncio.gather(
                *(state.queue.admit(settings, now + skew) for state, skew in ticks)
            )
            admitted.extend((now, user) for report in reports for user in report.admitted)

    times = [at for at, _ in admitted]
    assert min(times) >= OPENS_MS, "nobody before the opening"
    for i, start in enumerate(times):
        for j in range(i, len(times)):
            window_s = (times[j] - start) / 1000
            assert j - i + 1 <= RATE * (window_s + 1 + spread_s), (start, times[j])
    assert len(admitted) <= RATE * (5 + 1 + spread_s)
    assert len(admitted) >= RATE * 5, "the rate is used, not starved"
    assert {user for _, user in admitted} == {f"buyer-{n}" for n in range(len(admitted))}


async def test_a_clock_running_behind_never_refills_the_bucket_a_second_time(
    open_instance: Opener,
) -> None:
    # Instance B's clock is half a second behind A's and both tick every 100 ms, B right after
    # A. B's ticks refill nothing (the bucket's time only moves forward), so over ten seconds
    # exactly one second's burst plus ten seconds' worth are admitted: what one clock admits.
    async with instances(open_instance, 2) as (a, b):
        settings = sale(new_event_id())
        await a.catalog.add(settings, OPENS_MS - 1_000)
        for n in range(BUYERS):
            await a.queue.enter(settings, f"buyer-{n}", OPENS_MS - 1_000)

        admitted = 0
        for now in range(OPENS_MS, OPENS_MS + 10_001, 100):
            admitted += len((await a.queue.admit(settings, now)).admitted)
            admitted += len((await b.queue.admit(settings, now - 500)).admitted)

        snapshot = await b.queue.snapshot(settings, OPENS_MS + 10_000)
    assert admitted == RATE * (10 + 1)
    assert snapshot.active == admitted
    assert snapshot.waiting == BUYERS - admitted
