"""The durable record kept in memory: what PostgreSQL keeps in the real stack."""

from __future__ import annotations

from collections.abc import Sequence

from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.errors import EventHasReservations
from ticketing_core.messages import CodeUseMessage, DrawMessage, EventChangeMessage, Message
from ticketing_core.model import Reservation
from ticketing_core.settings import EventSettings


class MemoryReservationRepository:
    def __init__(self) -> None:
        self.events: dict[str, EventSettings] = {}
        self.reservations: dict[str, Reservation] = {}
        self.changes: dict[str, dict[int, EventChangeMessage]] = {}  # event -> version -> it
        self.draws: dict[str, dict[int, DrawMessage]] = {}  # event -> part -> it
        self.codes: dict[str, dict[str, AccessCode]] = {}  # event -> digest -> it, as issued
        self.code_uses: dict[str, set[str]] = {}  # event -> ids of its code use messages
        self.uses_of: dict[tuple[str, str], int] = {}  # (event, digest) -> uses recorded

    async def save_event(self, settings: EventSettings) -> None:
        self.events.setdefault(settings.event_id, settings)

    async def delete_event(self, event_id: str) -> bool:
        if any(r.event_id == event_id for r in self.reservations.values()):
            raise EventHasReservations(f"reservations of event {event_id} are recorded")
        self.changes.pop(event_id, None)
        self.draws.pop(event_id, None)
        self.codes.pop(event_id, None)
        self.code_uses.pop(event_id, None)
        for key in [key for key in self.uses_of if key[0] == event_id]:
            del self.uses_of[key]
        return self.events.pop(event_id, None) is not None

    async def apply(self, messages: Sequence[Message]) -> None:
        for message in messages:
            if isinstance(message, EventChangeMessage):
                self._record_change(message)
                continue
            if isinstance(message, DrawMessage):
                self.draws.setdefault(message.event_id, {}).setdefault(message.part, message)
                continue
            if isinstance(message, CodeUseMessage):
                seen = self.code_uses.setdefault(message.event_id, set())
                if message.message_id not in seen:
                    seen.add(message.message_id)
                    key = (message.event_id, message.digest)
                    self.uses_of[key] = self.uses_of.get(key, 0) + 1
                continue
            incoming = message.reservation
            known = self.reservations.get(incoming.reservation_id)
            if known is None or incoming.status.supersedes(known.status):
                self.reservations[incoming.reservation_id] = incoming

    async def changes_of(self, event_id: str) -> list[EventChangeMessage]:
        recorded = self.changes.get(event_id, {})
        return [recorded[version] for version in sorted(recorded)]

    async def draw_of(self, event_id: str) -> list[DrawMessage]:
        recorded = self.draws.get(event_id, {})
        return [recorded[part] for part in sorted(recorded)]

    def _record_change(self, change: EventChangeMessage) -> None:
        self.changes.setdefault(change.event_id, {}).setdefault(change.version, change)
        known = self.events.get(change.event_id)
        if known is None or known.version < change.version:
            # A change's settings go without a draw's seed: the recorded one stays.
            seed = known.draw_seed if known else None
            self.events[change.event_id] = change.settings.model_copy(update={"draw_seed": seed})

    async def save_codes(self, event_id: str, codes: Sequence[AccessCode]) -> list[str]:
        recorded = self.codes.setdefault(event_id, {})
        new = [code.digest for code in codes if code.digest not in recorded]
        for code in codes:
            recorded.setdefault(code.digest, code)
        return new

    async def forget_codes(self, event_id: str, digests: Sequence[str]) -> None:
        recorded = self.codes.get(event_id, {})
        for digest in digests:
            recorded.pop(digest, None)

    async def codes_of(self, event_id: str) -> list[CodeUses]:
        return [
            CodeUses(code, self.uses_of.get((event_id, code.digest), 0))
            for code in self.codes.get(event_id, {}).values()
        ]

    async def get(self, reservation_id: str) -> Reservation | None:
        return self.reservations.get(reservation_id)

    async def reservations_of(self, event_id: str) -> list[Reservation]:
        return [r for r in self.reservations.values() if r.event_id == event_id]
