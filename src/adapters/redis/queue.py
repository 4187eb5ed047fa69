"""The waiting room on Redis: each operation is one script (see lua/)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from ticketing_adapters.redis.scripts import Scripts
from ticketing_core.draw import DRAW_PART
from ticketing_core.model import (
    AdmissionReport,
    QueueSnapshot,
    QueueStatus,
    QueueView,
    estimated_wait_seconds,
)
from ticketing_core.sale import ADMISSIONS_PER_CALL
from ticketing_core.settings import EventSettings, EventState

PRESENCE_PER_CALL = 500
"""Users marked present per script call: one call never holds Redis for long."""


class RedisQueueStore:
    def __init__(self, scripts: Scripts, draw_part: int = DRAW_PART) -> None:
        """``draw_part``: entrants of a drawn pre-queue keyed, then placed, per admission
        step (and per recorded part of the draw)."""
        self._scripts = scripts
        self._draw_part = draw_part

    async def enter(
        self, settings: EventSettings, user_id: str, now_ms: int, code: str | None = None
    ) -> QueueView:
        presale = ""
        if settings.presale is not None:
            presale = "code" if settings.needs_code_at(now_ms) else "over"
        reply = await self._scripts.run(
            "enter", settings.event_id, user_id, now_ms, settings.opens_at_ms, presale, code or ""
        )
        return _view(settings, user_id, reply, now_ms)

    async def status(self, settings: EventSettings, user_id: str, now_ms: int) -> QueueView:
        reply = await self._scripts.run("status", settings.event_id, user_id, now_ms)
        return _view(settings, user_id, reply, now_ms)

    async def keep_present(
        self, settings: EventSettings, user_ids: Sequence[str], now_ms: int
    ) -> None:
        for start in range(0, len(user_ids), PRESENCE_PER_CALL):
            chunk = user_ids[start : start + PRESENCE_PER_CALL]
            await self._scripts.run("keep_present", settings.event_id, now_ms, *chunk)

    async def leave(self, settings: EventSettings, user_id: str, now_ms: int) -> bool:
        left = await self._scripts.run(
            "leave", settings.event_id, user_id, now_ms, settings.draw_seed or ""
        )
        return bool(left)

    async def admit(
        self, settings: EventSettings, now_ms: int, limit: int = ADMISSIONS_PER_CALL
    ) -> AdmissionReport:
        expired, abandoned, drawing, *admitted = await self._scripts.run(
            "admit",
            settings.event_id,
            now_ms,
            settings.opening_in_force_ms(now_ms),
            settings.admission_rate_per_second,
            settings.max_active_users,
            settings.admission_ttl_ms,
            limit,
            settings.presence_timeout_ms,
            settings.draw_seed or "",
            self._draw_part,
        )
        return AdmissionReport(
            admitted=tuple(str(user) for user in admitted),
            expired_admissions=int(expired),
            abandoned=int(abandoned),
            drawing=bool(drawing),
        )

    async def snapshot(self, settings: EventSettings, now_ms: int) -> QueueSnapshot:
        reply = await self._scripts.run("snapshot", settings.event_id, now_ms)
        head, waiting, active, sold_out, state, abandoned, drawing, *gaps = reply
        return QueueSnapshot(
            event_id=settings.event_id,
            head_seq=int(head),
            gaps=tuple(int(gap) for gap in gaps),
            waiting=int(waiting),
            active=int(active),
            sold_out=bool(sold_out),
            taken_at=now_ms,
            state=EventState(state),
            abandoned=int(abandoned),
            draw_pending=bool(drawing),
        )


def _view(settings: EventSettings, user_id: str, reply: list[Any], now_ms: int) -> QueueView:
    seq, status_name, position, admission_expires_at, active, paused, drawing = reply
    status = QueueStatus(status_name)
    return QueueView(
        event_id=settings.event_id,
        user_id=user_id,
        seq=int(seq),
        status=status,
        position=int(position),
        estimated_wait_seconds=None
        if drawing
        else estimated_wait_seconds(
            int(position), settings, int(active), now_ms, paused=bool(paused)
        ),
        admission_expires_at=(
            int(admission_expires_at) if status is QueueStatus.ADMITTED else None
        ),
        paused=bool(paused),
        draw_pending=bool(drawing),
    )
