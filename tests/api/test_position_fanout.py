"""The store work of position streams does not grow with the number of streams."""

from __future__ import annotations

import asyncio

import pytest

from tests.support.waiting import eventually
from ticketing_core.model import QueueSnapshot
from ticketing_entrypoints.http.positions import PositionHub

pytestmark = pytest.mark.anyio

INTERVAL = 0.02
STREAMS = 2_000


class MovingQueue:
    """A queue whose head advances by one place per snapshot; counts the snapshots taken."""

    def __init__(self) -> None:
        self.snapshots = 0

    async def snapshot(self, event_id: str) -> QueueSnapshot:
        self.snapshots += 1
        return QueueSnapshot(
            event_id=event_id,
            head_seq=self.snapshots,
            gaps=(),
            waiting=STREAMS,
            active=0,
            sold_out=False,
            taken_at=0,
        )


async def follow(hub: PositionHub, seq: int, until_position: int) -> list[int]:
    """What one stream sees until its position reaches ``until_position``."""
    seen: list[int] = []
    with hub.watch("show", seq, position=seq) as watcher:
        while not seen or seen[-1] > until_position:
            snapshot = await watcher.next_snapshot(seconds=5)
            assert snapshot is not None
            watcher.shown_position = snapshot.position_of(seq)
            seen.append(watcher.shown_position)
    return seen


async def test_one_snapshot_per_interval_feeds_every_stream_of_an_event() -> None:
    queue = MovingQueue()
    hub = PositionHub(queue.snapshot, INTERVAL)

    seen = await asyncio.gather(*(follow(hub, seq, seq - 5) for seq in range(10, 10 + STREAMS)))

    assert all(
        positions[-1] == seq - 5
        for seq, positions in zip(range(10, 10 + STREAMS), seen, strict=True)
    )
    assert all(positions == sorted(positions, reverse=True) for positions in seen)
    # Every stream needed 5 head moves: a handful of snapshots, not thousands.
    assert queue.snapshots <= 10


async def test_the_ticker_of_an_event_stops_with_its_last_stream() -> None:
    queue = MovingQueue()
    hub = PositionHub(queue.snapshot, INTERVAL)

    before = asyncio.all_tasks()
    await follow(hub, seq=3, until_position=1)
    started = asyncio.all_tasks() - before  # the event's ticker, unless it stopped already
    await eventually(
        lambda: all(task.done() for task in started), within=30, what="the ticker stopped"
    )
    taken = queue.snapshots
    # A duration, not a wait: a ticker still running would take ~5 snapshots in it.
    await asyncio.sleep(INTERVAL * 5)

    assert hub.streams == 0
    assert queue.snapshots == taken


async def test_closing_the_hub_ends_every_open_stream() -> None:
    hub = PositionHub(MovingQueue().snapshot, interval=60)
    with hub.watch("show", seq=1_000, position=1_000) as watcher:
        await asyncio.sleep(0)

        await hub.close()

        assert watcher.closed
        assert await watcher.next_snapshot(seconds=1) is None
