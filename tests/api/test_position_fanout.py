"""The store work of position streams does not grow with the number of streams, and open
streams keep their buyers present."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

import pytest

from tests.support.waiting import eventually
from ticketing_core.model import QueueSnapshot
from ticketing_entrypoints.http.positions import PositionHub

pytestmark = pytest.mark.anyio

INTERVAL = 0.02
STREAMS = 2_000


class MovingQueue:
    """A queue whose head advances by one place per snapshot; counts the snapshots taken and
    records who was marked present (its presence timeout is ``presence_seconds``)."""

    def __init__(self, presence_seconds: int = 300) -> None:
        self.snapshots = 0
        self.presence_seconds = presence_seconds
        self.marked_present: list[set[str]] = []

    async def keep_present(self, event_id: str, user_ids: Sequence[str]) -> int:
        self.marked_present.append(set(user_ids))
        return self.presence_seconds

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
    with hub.watch("show", f"user-{seq}", seq, position=seq) as watcher:
        while not seen or seen[-1] > until_position:
            snapshot = await watcher.next_snapshot(seconds=5)
            assert snapshot is not None
            watcher.shown_position = snapshot.position_of(seq)
            seen.append(watcher.shown_position)
    return seen


async def test_one_snapshot_per_interval_feeds_every_stream_of_an_event() -> None:
    queue = MovingQueue()
    hub = PositionHub(queue.snapshot, queue.keep_present, INTERVAL)

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
    hub = PositionHub(queue.snapshot, queue.keep_present, INTERVAL)

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
    queue = MovingQueue()
    hub = PositionHub(queue.snapshot, queue.keep_present, interval=60)
    with hub.watch("show", "user", seq=1_000, position=1_000) as watcher:
        await asyncio.sleep(0)

        await hub.close()

        assert watcher.closed
        assert await watcher.next_snapshot(seconds=1) is None


async def test_open_streams_keep_their_buyers_present_a_third_of_the_timeout_apart() -> None:
    queue = MovingQueue(presence_seconds=1)
    hub = PositionHub(queue.snapshot, queue.keep_present, INTERVAL)

    with hub.watch("show", "ann", 10_000, 10_000), hub.watch("show", "bob", 10_001, 10_001):
        await eventually(lambda: len(queue.marked_present) >= 3, within=30, what="3 refreshes")
        snapshots_per_refresh = queue.snapshots / len(queue.marked_present)

    assert queue.marked_present[0] == {"ann", "bob"}, "both streams, in one call"
    assert {frozenset(users) for users in queue.marked_present} == {frozenset({"ann", "bob"})}
    # A refresh every 1/3 s, a snapshot every 0.02 s: far fewer refreshes than snapshots.
    assert snapshots_per_refresh > 3
