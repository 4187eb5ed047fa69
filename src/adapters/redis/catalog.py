"""Events on Redis: the settings of each event and the registry of all of them."""

from __future__ import annotations

import json
from collections.abc import Sequence

from ticketing_adapters.redis import codec
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import EVENTS_KEY, OUTBOX_GROUP, event_key
from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.changes import MAX_TOTAL_SEATS, SaleChange
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.errors import EventExists, EventNotFound
from ticketing_core.settings import EventSettings


class RedisEventCatalog:
    def __init__(self, client: RedisClient, scripts: Scripts) -> None:
        self._client = client
        self._scripts = scripts

    async def add(self, settings: EventSettings, now_ms: int) -> None:
        try:
            await self._scripts.run(
                "add_event",
                settings.event_id,
                settings.model_dump_json(),
                settings.total_seats,
                settings.admission_rate_per_second,
                settings.first_opening_ms,
                OUTBOX_GROUP,
            )
        except EventExists:
            # It exists, so it belongs in the registry: this repairs an add whose process
            # stopped between the script and the registry write below.
            await self._register(settings.event_id, now_ms)
            raise
        await self._register(settings.event_id, now_ms)

    async def get(self, event_id: str) -> EventSettings | None:
        found = await self._client.get(event_key(event_id, "settings"))
        return EventSettings.model_validate_json(found) if found is not None else None

    async def change(
        self, event_id: str, change: SaleChange, actor: str, now_ms: int
    ) -> EventSettings:
        changed = await self._scripts.run(
            "change_event",
            event_id,
            change.kind.value,
            json.dumps(dict(change.settings)),
            change.seats,
            MAX_TOTAL_SEATS,
            json.dumps(dict(change.detail)),
            actor,
            now_ms,
            change.category or "",
        )
        return EventSettings.model_validate_json(changed)

    async def add_codes(self, event_id: str, codes: Sequence[AccessCode]) -> None:
        issued: list[str | int] = [len(codes)]
        for code in codes:
            issued += [code.digest, code.max_uses, ",".join(code.categories or ())]
        await self._scripts.run("add_codes", event_id, *issued)

    async def codes(self, event_id: str) -> list[CodeUses]:
        if not await self._client.exists(event_key(event_id, "stock")):
            raise EventNotFound(f"no event {event_id}")
        return await read_codes(self._client, event_id)

    async def event_ids(self) -> list[str]:
        return [str(event_id) for event_id in await self._client.zrange(EVENTS_KEY, 0, -1)]

    async def remove(self, event_id: str) -> None:
        try:
            await self._scripts.run("remove_event", event_id)
        except EventNotFound:
            # The keys are gone; a registry entry left means a removal whose process stopped
            # between the script and the registry write below: finishing it is success.
            if not await self._unregister(event_id):
                raise
            return
        await self._unregister(event_id)

    async def _register(self, event_id: str, now_ms: int) -> None:
        # NX: an event keeps the time it was first registered, so the order stays oldest first.
        await self._client.zadd(EVENTS_KEY, {event_id: now_ms}, nx=True)

    async def _unregister(self, event_id: str) -> bool:
        """Takes the id out of the registry (outside the event's hash tag, so its own
        command, after the script); False if it was not there."""
        return bool(await self._client.zrem(EVENTS_KEY, event_id))


async def read_codes(client: RedisClient, event_id: str) -> list[CodeUses]:
    """The event's access codes with their uses, in the order of issue (none if no event)."""
    return codec.codes(await client.hgetall(event_key(event_id, "codes")))
