"""How many position streams one buyer and one client address may hold open in this process.

Each open stream holds a socket, and a process may hold 20,000 open files in all: without a
cap, one client could take them all. A buyer (a queue token's event and user) keeps at most
``streams_per_token``: opening one more ends the oldest with ``event: replaced`` (a buyer who
opened the page in a new tab wants the new one). A client address keeps at most
``streams_per_address``; past it a new stream is refused with 429 ``too_many_streams``. The
caps are per process, like the files they protect.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

from ticketing_entrypoints.http.errors import TooManyStreams
from ticketing_entrypoints.http.limit_metrics import LimitMetrics
from ticketing_entrypoints.http.positions import Watcher

STREAMS_RETRY_AFTER_SECONDS = 5


@dataclass(eq=False, slots=True)
class StreamSlot:
    """One open stream's place under the caps; ``release`` when the stream ends (again: no
    effect)."""

    caps: StreamCaps
    buyer: tuple[str, str]
    address: str
    replaced: bool = False
    """A newer stream of the same buyer took this one's place: it ends with ``replaced``."""
    watcher: Watcher | None = None
    """What the stream waits on now, woken when it is replaced."""
    released: bool = field(default=False)

    def replace(self) -> None:
        self.replaced = True
        if self.watcher is not None:
            self.watcher.closed = True
            self.watcher.wake(None)

    def release(self) -> None:
        if not self.released:
            self.released = True
            self.caps.forget(self)


class StreamCaps:
    def __init__(self, *, per_buyer: int, per_address: int, metrics: LimitMetrics) -> None:
        self._per_buyer = per_buyer
        self._per_address = per_address
        self._metrics = metrics
        self._by_buyer: dict[tuple[str, str], deque[StreamSlot]] = {}
        self._by_address: dict[str, int] = {}

    def open(self, event_id: str, user_id: str, address: str) -> StreamSlot:
        """A slot for a new stream; raises ``TooManyStreams`` when ``address`` holds its cap."""
        if self._by_address.get(address, 0) >= self._per_address:
            self._metrics.refused.labels("stream", "open streams").inc()
            raise TooManyStreams(
                f"this address holds {self._per_address} open streams; close one first",
                STREAMS_RETRY_AFTER_SECONDS,
            )
        slot = StreamSlot(self, (event_id, user_id), address)
        self._by_address[address] = self._by_address.get(address, 0) + 1
        slots = self._by_buyer.setdefault(slot.buyer, deque())
        slots.append(slot)
        while len(slots) > self._per_buyer:
            oldest = slots.popleft()
            oldest.replace()
            self._metrics.streams_replaced.inc()
        return slot

    def forget(self, slot: StreamSlot) -> None:
        slots = self._by_buyer.get(slot.buyer)
        if slots is not None:
            if slot in slots:
                slots.remove(slot)
            if not slots:
                del self._by_buyer[slot.buyer]
        left = self._by_address.get(slot.address, 0) - 1
        if left > 0:
            self._by_address[slot.address] = left
        else:
            self._by_address.pop(slot.address, None)
