"""The outbox on Redis: one stream per event (``{eventId}:outbox``), written by the scripts in
the same step as the change each entry describes, and read by the relays through one consumer
group."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_adapters.redis import codec
from ticketing_adapters.redis.keys import OUTBOX_GROUP
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.ports import OutboxEntry

RECLAIM_IDLE_MS = 30_000
"""An entry another relay took and has not acknowledged for this long is taken over: that
relay is presumed dead. Longer than any publish should take, so live relays keep theirs."""


class RedisOutbox:
    def __init__(self, scripts: Scripts, reclaim_idle_ms: int = RECLAIM_IDLE_MS) -> None:
        self._scripts = scripts
        self._reclaim_idle_ms = reclaim_idle_ms

    async def claim(self, event_id: str, consumer: str, limit: int) -> list[OutboxEntry]:
        """In this order, up to ``limit`` in all: entries this consumer took before and did not
        acknowledge (its publish failed: it retries them), entries other consumers left idle
        too long, then new entries (``claim.lua``, one step). Returned oldest first."""
        reply = await self._scripts.run(
            "claim", event_id, OUTBOX_GROUP, consumer, limit, self._reclaim_idle_ms
        )
        taken = sorted(
            zip(reply[::3], reply[1::3], reply[2::3], strict=True),
            key=lambda entry: _order(entry[0]),
        )
        return [
            OutboxEntry(
                codec.text(entry_id), codec.outbox_message(event_id, reservation_id, record)
            )
            for entry_id, reservation_id, record in taken
        ]

    async def acknowledge(self, event_id: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            await self._scripts.run("acknowledge", event_id, OUTBOX_GROUP, *entry_ids)


def _order(entry_id: object) -> tuple[int, int]:
    milliseconds, sequence = codec.text(entry_id).split("-")
    return int(milliseconds), int(sequence)
