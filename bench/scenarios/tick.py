"""The admission tick's cost with a crowd waiting (issue 14, presence): 100,000 buyers in line,
then the ticks that admit them, on the run's private Redis, in process.

Three variants, same run, each on a fresh sale: presence off; presence on with every buyer
there; presence on with every other buyer gone (each admission then skips one, so a tick does
twice the pops). Time is a ``ManualClock`` moved by the tick interval between ticks, so the
ticks do what they would do at that rate, and only their wall time is measured. Also: what one
position ticker's presence refresh costs for 10,000 streaming buyers.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid

from bench.context import Context, say
from bench.results import Result
from ticketing_adapters.memory import memory_record
from ticketing_adapters.memory.bus import MemoryEventBus
from ticketing_adapters.redis import open_redis_hot_state
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.hot_state import RedisHotState
from ticketing_adapters.redis.keys import EVENTS_KEY, KEY_NAMES, event_key
from ticketing_core.clock import ManualClock, to_datetime
from ticketing_core.service import TicketingService
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import redis_backends
from ticketing_entrypoints.bootstrap import bootstrapped

WAITING = 100_000
RATE = 20_000
"""Admissions per second: 2,000 a tick at the driver's 100 ms, one script call's worth."""
TICK_MS = 100
TICKS = 12
"""The first tick admits a full bucket (20,000), each next one 2,000: 42,000 in all, fewer
than the buyers who are there in every variant, so that no tick runs out of line."""
ENTER_AT_ONCE = 200
STREAMING = 10_000


def tick_cost(context: Context) -> list[Result]:
    say(f"tick: {WAITING:,} waiting, {RATE:,} admissions/s, three variants")
    return asyncio.run(_measure(context.stack.redis_url))


async def _measure(redis_url: str) -> list[Result]:
    hot = await open_redis_hot_state(redis_url)
    clock = ManualClock(start_ms=int(time.time() * 1000))
    backends = redis_backends(hot, MemoryEventBus(), memory_record().durable_record)
    results = []
    try:
        async with bootstrapped(clock=clock, backends=backends) as root:
            service = root.service()
            for name, presence, away in (
                ("presence off", 0, False),
                ("presence on, all there", 300, False),
                ("presence on, half gone", 300, True),
            ):
                results.append(await _variant(service, clock, hot.client, name, presence, away))
            results.append(await _presence_refresh(service, clock, hot.client))
            results.append(await _draw(service, clock, hot))
    finally:
        await hot.close()
    return results


async def _sale(
    service: TicketingService,
    clock: ManualClock,
    presence: int,
    opens_in_ms: int,
    *,
    draw_seed: str | None = None,
) -> str:
    event_id = f"tick-{uuid.uuid4().hex[:8]}"
    await service.create_event(
        EventSettings(
            event_id=event_id,
            name="tick bench",
            total_seats=WAITING,
            opens_at=to_datetime(clock.now_ms() + opens_in_ms),
            admission_rate_per_second=1 if draw_seed else RATE,
            max_active_users=WAITING,
            presence_timeout_seconds=presence,
            draw_at_opening=draw_seed is not None,
            draw_seed=draw_seed,
        )
    )
    return event_id


async def _draw(service: TicketingService, clock: ManualClock, hot: RedisHotState) -> Result:
    """The opening of a drawn pre-queue of 100,000: the admission steps that draw it, each
    one script call (what a request queued behind it waits at most), and their sum."""
    event_id = await _sale(service, clock, 0, opens_in_ms=60_000, draw_seed="5eed" * 16)
    await _enter(service, event_id, [f"early-{n}" for n in range(WAITING)])
    clock.advance(60_000)
    settings = await service.event(event_id)
    durations, drawing = [], True
    while drawing:
        started = time.perf_counter()
        report = await hot.queue.admit(settings, clock.now_ms())
        durations.append((time.perf_counter() - started) * 1000)
        drawing = report.drawing
    await _forget(hot.client, event_id)
    return _timed(
        f"draw at the opening, {WAITING // 1000}k entrants, per step",
        durations,
        steps=len(durations),
        total_ms=round(sum(durations), 1),
    )


def _timed(scenario: str, durations_ms: list[float], **details: object) -> Result:
    cuts = statistics.quantiles(durations_ms, n=100)
    return Result(
        scenario=scenario,
        tool="in process",
        p50_ms=round(cuts[49], 2),
        p95_ms=round(cuts[94], 2),
        p99_ms=round(cuts[98], 2),
        details=details,
    )


async def _enter(service: TicketingService, event_id: str, users: list[str]) -> None:
    for start in range(0, len(users), ENTER_AT_ONCE):
        batch = users[start : start + ENTER_AT_ONCE]
        await asyncio.gather(*(service.enter(event_id, user) for user in batch))


async def _variant(
    service: TicketingService,
    clock: ManualClock,
    client: RedisClient,
    name: str,
    presence: int,
    away: bool,
) -> Result:
    event_id = await _sale(service, clock, presence, opens_in_ms=3_600_000)
    users = [f"buyer-{n}" for n in range(WAITING)]
    await _enter(service, event_id, users)
    clock.advance(3_600_000)  # the opening; every buyer was last seen an hour ago…
    if presence and not away:
        await service.keep_present(event_id, users)  # …unless their stream is open
    elif away:
        await service.keep_present(event_id, users[::2])  # every other one is there
    durations, admitted, skipped = [], 0, 0
    for _ in range(TICKS):
        started = time.perf_counter()
        report = await service.tick(event_id)
        durations.append((time.perf_counter() - started) * 1000)
        admitted += len(report.admissions.admitted)
        skipped += report.admissions.abandoned
        clock.advance(TICK_MS)
    await _forget(client, event_id)
    return _timed(
        f"tick, {WAITING // 1000}k waiting, {name}",
        durations,
        ticks=TICKS,
        admitted=admitted,
        skipped=skipped,
        us_per_admission=round(sum(durations) * 1000 / admitted, 1),
    )


async def _presence_refresh(
    service: TicketingService, clock: ManualClock, client: RedisClient
) -> Result:
    event_id = await _sale(service, clock, 300, opens_in_ms=3_600_000)
    users = [f"streamer-{n}" for n in range(STREAMING)]
    await _enter(service, event_id, users)
    durations = []
    for _ in range(10):
        started = time.perf_counter()
        await service.keep_present(event_id, users)
        durations.append((time.perf_counter() - started) * 1000)
    await _forget(client, event_id)
    return _timed(f"presence refresh, {STREAMING // 1000}k streams", durations, refreshes=10)


async def _forget(client: RedisClient, event_id: str) -> None:
    await client.delete(*(event_key(event_id, key) for key in KEY_NAMES))
    await client.zrem(EVENTS_KEY, event_id)
