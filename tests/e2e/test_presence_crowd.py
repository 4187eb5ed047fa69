"""A crowd of 10,000 waiting buyers of whom half went away (issue 14, presence): on the real
stack, admissions go on at the sale's rate and every one of them goes to a buyer who is there;
those who went away are skipped when their turn comes."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

import pytest

from tests.e2e.support import Shop, Stack
from tests.support.http import queue_token, unique_event_id
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

BUYERS = 10_000
RATE = 100
PRESENCE_SECONDS = 15
WINDOW_SECONDS = 4.0
"""Admissions are measured over this long: with the time their pages take to say they are
there, shorter than the presence timeout, so that they need say it only once."""
REACHABLE = 4_000
"""Places in line that the window can reach (about twice the admissions in it, one buyer in
two being gone), with a wide margin: the buyers there among them say they are there; those
further back are never reached in the window, so their pages need not (they would be skipped
too, had they been silent when their turn came)."""
AT_ONCE = 64


async def test_half_of_a_crowd_goes_away_and_every_admission_goes_to_a_buyer_who_is_there(
    stack: Stack, shop: Shop
) -> None:
    event_id = unique_event_id("presence-crowd")
    await shop.create_event(
        event_id,
        totalSeats=100_000,
        admissionRatePerSecond=RATE,
        maxActiveUsers=BUYERS,
        presenceTimeoutSeconds=PRESENCE_SECONDS,
    )
    await shop.operate(event_id, "pause")  # everyone gets in line before anyone is admitted
    gate = asyncio.Semaphore(AT_ONCE)

    async def enter(user: str) -> str:
        async with gate:
            return await shop.enter(event_id, user)

    users = [f"{'away' if n % 2 else 'here'}-{n}" for n in range(BUYERS)]
    tokens = dict(zip(users, await asyncio.gather(*map(enter, users)), strict=True))
    last_seen_away = time.monotonic()
    assert (await shop.stats(event_id))["waitingUsers"] == BUYERS
    # Presence is a length of time: the buyers who went away must be unseen for longer.
    await asyncio.sleep(PRESENCE_SECONDS + 0.5 - (time.monotonic() - last_seen_away))

    async def status(user: str) -> str:
        async with gate:
            response = await shop.api.get("/api/v1/queue/status", headers=queue_token(tokens[user]))
        assert response.status_code == 200, response.text
        answer: str = response.json()["status"]
        return answer

    here = [user for user in users[:REACHABLE] if user.startswith("here")]
    await asyncio.gather(*map(status, here))  # their pages read their place: they are there

    await shop.operate(event_id, "resume")
    samples = await sample_admissions(shop, event_id, WINDOW_SECONDS)
    await shop.operate(event_id, "pause")

    (t0, first), (t1, last) = samples[0], samples[-1]
    measured = (last - first) / (t1 - t0)
    assert 0.6 * RATE <= measured <= 1.2 * RATE, f"{measured:.0f} admissions/s at {RATE}/s"
    stats = await shop.stats(event_id)
    admitted, skipped = stats["activeUsers"], stats["abandonedUsers"]
    assert admitted >= RATE * WINDOW_SECONDS * 0.6
    # In line, the buyers alternate (within AT_ONCE places): about one who went away was
    # skipped for each one admitted.
    assert abs(skipped - admitted) <= AT_ONCE, (admitted, skipped)
    print(f"{BUYERS:,} waiting, half gone: {measured:.0f} admissions/s at {RATE}/s; {admitted} "
          f"admitted, {skipped} skipped")  # fmt: skip

    # Entered AT_ONCE at a time, the line's order is the list's within that many places.
    head = users[: 2 * admitted + 4 * AT_ONCE]
    statuses = dict(zip(head, await asyncio.gather(*map(status, head)), strict=True))
    away_admitted = [u for u, s in statuses.items() if u.startswith("away") and s == "ADMITTED"]
    here_admitted = [u for u, s in statuses.items() if u.startswith("here") and s == "ADMITTED"]
    assert away_admitted == [], "an admission went to a buyer who was not there"
    assert len(here_admitted) == admitted
    assert {s for u, s in statuses.items() if u.startswith("away")} <= {"ABANDONED", "WAITING"}


async def sample_admissions(shop: Shop, event_id: str, seconds: float) -> list[tuple[float, int]]:
    """(time, admitted users) when the opening burst (a full bucket, ``RATE``) is in, and when
    a further ``seconds`` of admissions at the rate are: the sale's own count, waited for."""
    samples: list[tuple[float, int]] = []

    def admitted_at_least(count: int) -> Callable[[], Awaitable[bool]]:
        async def check() -> bool:
            active = int((await shop.stats(event_id))["activeUsers"])
            if active >= count:
                samples.append((time.monotonic(), active))
            return active >= count

        return check

    await eventually(admitted_at_least(RATE), within=60, what="the opening burst")
    target = samples[-1][1] + int(RATE * seconds)
    await eventually(admitted_at_least(target), within=60 + seconds, what=f"{target} admitted")
    return [samples[0], samples[-1]]
