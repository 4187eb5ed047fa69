"""Moves recorded messages from the outbox to the event bus: at least once, in order."""

from __future__ import annotations

from ticketing_core.ports import EventBus, Outbox


class OutboxRelay:
    def __init__(self, outbox: Outbox, bus: EventBus, consumer: str) -> None:
        self._outbox = outbox
        self._bus = bus
        self._consumer = consumer

    async def relay(self, event_id: str, limit: int = 1_000) -> int:
        """Publishes up to ``limit`` pending messages of one event; returns how many.

        Entries are acknowledged only after the bus confirmed delivery. If publishing fails the
        error propagates and the entries stay, to be published again (consumers deduplicate by
        ``messageId``).
        """
        entries = await self._outbox.claim(event_id, self._consumer, limit)
        if not entries:
            return 0
        await self._bus.publish([entry.message for entry in entries])
        await self._outbox.acknowledge(event_id, [entry.entry_id for entry in entries])
        return len(entries)
