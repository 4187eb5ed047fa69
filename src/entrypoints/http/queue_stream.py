"""The messages of one ``/api/v1/queue/stream`` connection (SPEC section 5).

``draw_pending`` while a drawn pre-queue waits for its draw; ``position`` on connect and
whenever it changes, refreshed (with a keep-alive comment) after ``keepalive`` seconds of
silence; ``paused`` when the operator pauses admissions (positions then carry no wait
estimate) and ``resumed`` when they resume; then one of ``admitted``, ``sold_out``,
``closed``, ``abandoned`` or ``expired``, and the stream ends. While the user waits, positions
come from the hub's shared snapshots; the store is asked about this user again only once the
snapshots say they no longer wait.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any

import msgspec
from litestar.response import ServerSentEventMessage

from ticketing_core.clock import to_datetime
from ticketing_core.errors import EventNotFound, NotInQueue
from ticketing_core.model import QueueSnapshot, QueueStatus, QueueView, estimated_wait_seconds
from ticketing_core.service import TicketingService
from ticketing_core.settings import EventSettings, EventState
from ticketing_entrypoints.http.positions import PositionHub, Watcher
from ticketing_entrypoints.http.stream_caps import StreamSlot

log = logging.getLogger(__name__)
RETRY_MS = 2_000
"""How long a client waits before it reconnects a stream that ended for a store down."""


async def queue_messages(
    service: TicketingService,
    hub: PositionHub,
    first: QueueView,
    keepalive: float,
    slot: StreamSlot,
) -> AsyncIterator[ServerSentEventMessage]:
    """The stream's messages; ``slot`` (its place under the stream caps) is released when
    it ends, and ends it with ``replaced`` once a newer stream of the buyer took it."""
    try:
        # Closed at once when replaced: its watcher leaves the hub then, not when collected.
        async with contextlib.aclosing(_messages(service, hub, first, keepalive, slot)) as sent:
            async for message in sent:
                yield message
                if slot.replaced:
                    break
        if slot.replaced:
            yield _message("replaced", {})
    finally:
        slot.release()


async def _messages(
    service: TicketingService,
    hub: PositionHub,
    first: QueueView,
    keepalive: float,
    slot: StreamSlot,
) -> AsyncGenerator[ServerSentEventMessage, None]:
    settings = await service.event(first.event_id)
    view: QueueView | None = first
    while view is not None and view.status is QueueStatus.WAITING and not slot.replaced:
        state = EventState.PAUSED if view.paused else EventState.OPEN
        if view.draw_pending:
            yield _message("draw_pending", {})
            with hub.watch(
                view.event_id, view.user_id, view.seq, 0, state, awaiting_draw=True
            ) as watcher:
                slot.watcher = watcher
                async for message in _until_drawn(watcher, keepalive):
                    yield message
                if watcher.closed:
                    return
        else:
            yield _message("position", _position(view.position, view.estimated_wait_seconds))
            if view.paused:
                yield _message("paused", {})
            with hub.watch(view.event_id, view.user_id, view.seq, view.position, state) as watcher:
                slot.watcher = watcher
                positions = _positions(watcher, settings, view.estimated_wait_seconds, keepalive)
                async for message in positions:
                    yield message
                if watcher.closed:
                    return
        try:
            view = await _status(service, view)
        except Exception as error:  # whatever the store raised: end, and retry
            # A store down for a moment (the only read this stream makes of it): end with a
            # retry hint; EventSource reconnects after it and the new stream reads afresh.
            log.warning("stream of %s ends for a retry: %s", first.event_id, type(error).__name__)
            yield ServerSentEventMessage(comment="unavailable", retry=RETRY_MS)
            return
    if not slot.replaced:
        yield _outcome(view)


async def _until_drawn(watcher: Watcher, keepalive: float) -> AsyncIterator[ServerSentEventMessage]:
    """Keep-alives until the shared snapshots say the pre-queue was drawn (or the line is
    over): the user's place is then read afresh, with its number after the draw."""
    while not (watcher.closed or watcher.event_gone):
        if await watcher.next_snapshot(keepalive) is not None:
            return
        if not (watcher.closed or watcher.event_gone):
            yield _message("draw_pending", {}, "keep-alive")


async def _positions(
    watcher: Watcher, settings: EventSettings, first_wait: int | None, keepalive: float
) -> AsyncIterator[ServerSentEventMessage]:
    """Position updates (and pauses) until the shared snapshots say the user no longer waits
    or the sale closed."""
    wait = first_wait
    while not (watcher.closed or watcher.event_gone):
        snapshot = await watcher.next_snapshot(keepalive)
        if watcher.closed or watcher.event_gone:
            return
        if snapshot is None:
            if watcher.latest is not None:
                wait = _wait(watcher.shown_position, settings, watcher.latest)
            yield _message("position", _position(watcher.shown_position, wait), "keep-alive")
            continue
        position = snapshot.position_of(watcher.seq)
        if position == 0 or snapshot.sold_out or snapshot.state is EventState.CLOSED:
            return
        if snapshot.state is not watcher.shown_state:
            watcher.shown_state = snapshot.state
            yield _message("paused" if snapshot.state is EventState.PAUSED else "resumed", {})
            watcher.shown_position = 0  # a position follows, with or without an estimate
        if position != watcher.shown_position:
            watcher.shown_position = position
            wait = _wait(position, settings, snapshot)
            yield _message("position", _position(position, wait))


def _wait(position: int, settings: EventSettings, snapshot: QueueSnapshot) -> int | None:
    paused = snapshot.state is EventState.PAUSED
    return estimated_wait_seconds(
        position, settings, snapshot.active, snapshot.taken_at, paused=paused
    )


async def _status(service: TicketingService, view: QueueView) -> QueueView | None:
    """The one read of this user's state once they stopped waiting; None if they left (or
    the event was deleted, which took their place)."""
    try:
        return await service.queue_status(view.event_id, view.user_id)
    except (NotInQueue, EventNotFound):
        return None


def _outcome(view: QueueView | None) -> ServerSentEventMessage:
    if view is None or view.status is QueueStatus.EXPIRED:
        return _message("expired", {})
    if view.status is QueueStatus.SOLD_OUT:
        return _message("sold_out", {})
    if view.status is QueueStatus.CLOSED:
        return _message("closed", {})
    if view.status is QueueStatus.ABANDONED:
        return _message("abandoned", {})
    # ADMITTED, or COMPLETED when the user already bought during their admission.
    expires = view.admission_expires_at
    return _message(
        "admitted",
        {"admissionExpiresAt": to_datetime(expires) if expires is not None else None},
    )


def _position(position: int, wait: int | None) -> dict[str, int | None]:
    return {"position": position, "estimatedWaitSeconds": wait}


def _message(
    event: str, data: dict[str, Any], comment: str | None = None
) -> ServerSentEventMessage:
    return ServerSentEventMessage(
        event=event, data=msgspec.json.encode(data).decode(), comment=comment
    )
