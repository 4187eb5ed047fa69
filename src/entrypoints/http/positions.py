"""One shared ticker per event feeds every open position stream of this instance.

The store is asked for one ``QueueSnapshot`` per event per interval, however many streams are
open; each stream works out its own position from it (``QueueSnapshot.position_of``). Only the
streams whose position changed are woken, in chunks that give the event loop back in between,
so that a crowd of streams never stalls the other requests.

An open stream is its buyer being there: each ticker also tells the store, a third of the
event's presence timeout apart, which of its buyers are streaming (``KeepPresent``), so that
none of them is skipped as absent when their turn comes.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

from ticketing_core.errors import EventNotFound
from ticketing_core.model import QueueSnapshot
from ticketing_core.settings import EventState

log = logging.getLogger(__name__)

FetchSnapshot = Callable[[str], Awaitable[QueueSnapshot]]
KeepPresent = Callable[[str, Sequence[str]], Awaitable[int]]
"""Marks the streaming users of an event present; answers its presence timeout in seconds
(0: presence is off). ``TicketingService.keep_present``."""

PRESENCE_SHARE = 3
"""Streaming users are marked present this many times per presence timeout: one refresh
lost to a store that is down for a moment still leaves them present."""
PRESENCE_REFRESH_MAX_SECONDS = 5.0
"""And at least this often, with presence off too: an operator may turn it on or lower it at
any time, and a new timeout counts from the change (a ticker's refresh must come within it).
10,000 streams cost 20 calls of 30-50 ms of Redis in all per refresh (docs/benchmarks.md)."""

WAKE_CHUNK = 256
"""Streams looked at (and woken) between two pauses of the fan-out."""
WAKE_PAUSE_SECONDS = 0.002
"""A real pause, not ``sleep(0)``: the loop goes idle, which hands the GIL to granian's threads,
which bring in the other requests. Yielding with ``sleep(0)`` kept the loop (and the GIL)
busy for the whole fan-out; bench, 10,000 streams under 500 reads/s: p99 of those reads
101-137 ms with ``sleep(0)``, 74 ms with the pause, fan-out delays unchanged."""


@dataclass(eq=False, slots=True)
class Watcher:
    """One open stream's window on the shared snapshots of its event."""

    seq: int
    user_id: str
    shown_position: int
    """The position the stream last sent; the ticker wakes the stream when it differs."""
    shown_state: EventState = EventState.OPEN
    """The sale's state the stream last told (paused or not); a change wakes it too."""
    awaiting_draw: bool = False
    """Waiting for a drawn pre-queue's opening: only the draw (or the end of the sale's
    line) concerns it, since its number changes with the draw."""
    latest: QueueSnapshot | None = None
    closed: bool = False
    event_gone: bool = False
    """The event was deleted: no snapshot will come, the stream ends with the user's place."""
    _woken: asyncio.Event = field(default_factory=asyncio.Event)

    async def next_snapshot(self, seconds: float) -> QueueSnapshot | None:
        """The newest snapshot that concerns this stream, or None after ``seconds``."""
        try:
            async with asyncio.timeout(seconds):
                await self._woken.wait()
        except TimeoutError:
            return None
        self._woken.clear()
        return self.latest

    def concerned_by(self, snapshot: QueueSnapshot) -> bool:
        if self.awaiting_draw:
            return (
                not snapshot.draw_pending
                or snapshot.sold_out
                or snapshot.state is (EventState.CLOSED)
            )
        position = snapshot.position_of(self.seq)
        return (
            position != self.shown_position
            or position == 0
            or snapshot.sold_out
            or snapshot.state is not self.shown_state
        )

    def wake(self, snapshot: QueueSnapshot | None) -> None:
        self.latest = snapshot
        self._woken.set()


class _EventTicker:
    def __init__(
        self, event_id: str, fetch: FetchSnapshot, keep_present: KeepPresent, interval: float
    ) -> None:
        self.event_id = event_id
        self.watchers: set[Watcher] = set()
        self._fetch = fetch
        self._keep_present = keep_present
        self._interval = interval
        self._present_until = 0.0
        """When (loop time) the streaming users should next be marked present."""

    async def run(self, on_idle: Callable[[], None]) -> None:
        failing = False
        while self.watchers:
            await self._mark_present()
            try:
                snapshot = await self._fetch(self.event_id)
            except EventNotFound:
                for watcher in self.watchers:
                    watcher.event_gone = True
                    watcher.wake(None)
                break
            except Exception:
                if not failing:
                    log.exception("snapshot of event %s failed; streams wait", self.event_id)
                failing = True
            else:
                failing = False
                await self._fan_out(snapshot)
            await asyncio.sleep(self._interval)
        # No await between the emptiness check and this call: no stream can slip in between.
        on_idle()

    async def _mark_present(self) -> None:
        now = asyncio.get_running_loop().time()
        if now < self._present_until:
            return
        users = [watcher.user_id for watcher in self.watchers]
        try:
            timeout = await self._keep_present(self.event_id, users)
        except Exception:  # the snapshot below meets the same store and says what failed
            self._present_until = now + self._interval
            return
        share = timeout / PRESENCE_SHARE if timeout else PRESENCE_REFRESH_MAX_SECONDS
        self._present_until = now + max(min(share, PRESENCE_REFRESH_MAX_SECONDS), self._interval)

    async def _fan_out(self, snapshot: QueueSnapshot) -> None:
        watchers = list(self.watchers)
        for start in range(0, len(watchers), WAKE_CHUNK):
            for watcher in watchers[start : start + WAKE_CHUNK]:
                if watcher.concerned_by(snapshot):
                    watcher.wake(snapshot)
                else:
                    # Not worth a message now, but a keep-alive will want fresh numbers.
                    watcher.latest = snapshot
            await asyncio.sleep(WAKE_PAUSE_SECONDS)


class PositionHub:
    """The tickers of one instance, one per event that has open streams."""

    def __init__(self, fetch: FetchSnapshot, keep_present: KeepPresent, interval: float) -> None:
        self._fetch = fetch
        self._keep_present = keep_present
        self._interval = interval
        self._tickers: dict[str, _EventTicker] = {}
        self._tasks: dict[str, asyncio.Task[None]] = {}

    @contextmanager
    def watch(
        self,
        event_id: str,
        user_id: str,
        seq: int,
        position: int,
        state: EventState = EventState.OPEN,
        *,
        awaiting_draw: bool = False,
    ) -> Iterator[Watcher]:
        """Follows the waiting ``user_id`` holding ``seq``, who was last shown ``position`` of
        a sale in ``state`` (or who waits for the draw), and keeps them present while the
        stream is open."""
        watcher = Watcher(
            seq=seq,
            user_id=user_id,
            shown_position=position,
            shown_state=state,
            awaiting_draw=awaiting_draw,
        )
        ticker = self._tickers.get(event_id)
        if ticker is None:
            ticker = self._start(event_id)
        ticker.watchers.add(watcher)
        try:
            yield watcher
        finally:
            ticker.watchers.discard(watcher)

    @property
    def streams(self) -> int:
        return sum(len(ticker.watchers) for ticker in self._tickers.values())

    async def close(self) -> None:
        """Stops every ticker and tells every open stream to end."""
        for ticker in self._tickers.values():
            for watcher in ticker.watchers:
                watcher.closed = True
                watcher.wake(None)
        tasks = list(self._tasks.values())
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        self._tickers.clear()
        self._tasks.clear()

    def _start(self, event_id: str) -> _EventTicker:
        ticker = _EventTicker(event_id, self._fetch, self._keep_present, self._interval)
        self._tickers[event_id] = ticker

        def forget() -> None:
            del self._tickers[event_id]
            del self._tasks[event_id]

        self._tasks[event_id] = asyncio.create_task(
            ticker.run(on_idle=forget), name=f"positions:{event_id}"
        )
        return ticker
