"""The outbox on Redis: one stream per event (``{eventId}:outbox``), written by the scripts in
the same step as the change each entry describes, and read by the relays through one consumer
group."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from redis.exceptions import ResponseError

from adapters.redis import codec
from adapters.redis.client import RedisClient
from adapters.redis.keys import OUTBOX_GROUP, event_key
from adapters.redis.scripts import Scripts
from ticketing_core.ports import OutboxEntry

RECLAIM_IDLE_MS = 30_000
"""An entry another relay took and has not acknowledged for this long is taken over: that
relay is presumed dead. Longer than any publish should take, so live relays keep theirs."""


class RedisOutbox:
    def __init__(
        self, client: RedisClient, scripts: Scripts, reclaim_idle_ms: int = RECLAIM_IDLE_MS
    ) -> None:
        self._client = client
        self._scripts = scripts
        self._reclaim_idle_ms = reclaim_idle_ms

    async def claim(self, event_id: str, consumer: str, limit: int) -> list[OutboxEntry]:
        """In this order, up to ``limit`` in all: entries this consumer took before and did not
        acknowledge (its publish failed: it retries them), entries other consumers left idle
        too long, then new entries. Returned oldest first."""
        stream = event_key(event_id, "outbox")
        found: dict[str, dict[str, str]] = {}
        try:
            found.update(await self._read_group(stream, consumer, "0", limit))
            if len(found) < limit:
                found.update(await self._take_over(stream, consumer, limit - len(found)))
            if len(found) < limit:
                found.update(await self._read_group(stream, consumer, ">", limit - len(found)))
        except ResponseError as error:
            if str(error).startswith("NOGROUP"):  # no such event: nothing recorded
                return []
            raise
        return [
            OutboxEntry(entry_id, codec.outbox_message(event_id, fields))
            for entry_id, fields in sorted(found.items(), key=lambda item: _order(item[0]))
            # An entry deleted while still pending reads as empty; XAUTOCLAIM clears it later.
            if fields
        ]

    async def acknowledge(self, event_id: str, entry_ids: Sequence[str]) -> None:
        if entry_ids:
            await self._scripts.run("acknowledge", event_id, OUTBOX_GROUP, *entry_ids)

    async def _read_group(
        self, stream: str, consumer: str, start: str, count: int
    ) -> dict[str, dict[str, str]]:
        reply = await self._client.xreadgroup(OUTBOX_GROUP, consumer, {stream: start}, count)
        # redis-py answers [[stream, [(id, fields), ...]]] with its default (legacy) shapes.
        if not isinstance(reply, list):
            raise TypeError(f"unexpected XREADGROUP reply shape {reply!r}")
        return {entry_id: fields for _stream, entries in reply for entry_id, fields in entries}

    async def _take_over(self, stream: str, consumer: str, count: int) -> dict[str, Any]:
        _cursor, entries, _deleted = await self._client.xautoclaim(
            stream, OUTBOX_GROUP, consumer, self._reclaim_idle_ms, "0-0", count
        )
        return dict(entries)


def _order(entry_id: str) -> tuple[int, int]:
    milliseconds, sequence = entry_id.split("-")
    return int(milliseconds), int(sequence)
