"""The service's tick: a large burst is admitted in bounded steps, all of it."""

from __future__ import annotations

import pytest

from ticketing_core import EventSettings, ManualClock
from ticketing_core.clock import to_datetime
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_entrypoints.bootstrap import embedded_ticketing


@pytest.mark.anyio
async def test_one_tick_admits_a_whole_burst_larger_than_one_step() -> None:
    clock = ManualClock()
    service = embedded_ticketing(clock).service
    burst = ADMISSIONS_PER_CALL * 2 + 17
    await service.create_event(
        EventSettings(
            event_id="burst",
            name="Burst",
            total_seats=10,
            opens_at=to_datetime(clock.now_ms()),
            admission_rate_per_second=burst,
            max_active_users=burst,
        )
    )
    for n in range(burst + 5):
        await service.enter("burst", f"u{n}")

    report = await service.tick("burst")

    assert len(report.admissions.admitted) == burst
    assert report.admissions.admitted[:3] == ("u0", "u1", "u2")
    assert (await service.stats("burst")).waiting_users == 5
