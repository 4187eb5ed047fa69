"""``/api/v1/queue``: enter the waiting room, follow one's place, leave."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter, SkipValidation
from litestar.response import ServerSentEvent

from ticketing_entrypoints.http import mapping, schemas
from ticketing_entrypoints.http.bodies import strict_body
from ticketing_entrypoints.http.dependencies import Ticketing
from ticketing_entrypoints.http.openapi import BAD_TOKEN, QUEUE_TOKEN, TOO_LARGE, problems
from ticketing_entrypoints.http.queue_stream import queue_messages
from ticketing_entrypoints.http.tokens import QueuePass

EVENT_DELETED = "`event_not_found`: the token's event was deleted (and its place with it)"

STREAM_DESCRIPTION = """Server-Sent Events. For a sale that draws its pre-queue, first
`event: draw_pending` (data `{}`, repeated with a keep-alive comment at least every 15 s)
until the opening's draw. Then `event: position` with data
`{"position", "estimatedWaitSeconds"}` on connect, whenever the position changes, and at
least every 15 s (with a keep-alive comment); `event: paused` (data `{}`) when the operator
pauses admissions, after which positions carry `estimatedWaitSeconds: null`, and
`event: resumed` when admissions resume; then exactly one of `event: admitted` with data
`{"admissionExpiresAt"}`, `event: sold_out`, `event: closed` (the operator closed the sale),
`event: abandoned` (the buyer was away when their turn came: no stream and no status read
within the presence timeout) or `event: expired`, each with data `{}`, and the stream ends.
An open stream keeps its buyer present."""


class QueueController(Controller):
    path = "/api/v1/queue"
    tags = ("queue",)

    @post(
        "/enter",
        status_code=200,
        summary="Enter the waiting room (idempotent while waiting or admitted)",
        responses=problems(
            {
                404: "`event_not_found`",
                409: "`sold_out`: no seat is left and no hold can bring one back; "
                "`sale_closed`: the operator closed the sale",
                413: TOO_LARGE,
            }
        ),
    )
    async def enter(
        self,
        data: JSONBody[SkipValidation[schemas.QueueEntry]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.QueueTicket:
        entry = strict_body(schemas.QueueEntry, data)
        view = await ticketing.service.enter(entry.event_id, entry.user_id)
        return mapping.queue_ticket(view, ticketing.tokens.issue(entry.event_id, entry.user_id))

    @get(
        "/status",
        summary="One's place in the waiting room",
        security=QUEUE_TOKEN,
        responses=problems({401: BAD_TOKEN, 404: EVENT_DELETED}),
    )
    async def status(
        self, queue_pass: NamedDependency[QueuePass], ticketing: NamedDependency[Ticketing]
    ) -> schemas.QueueTicket:
        view = await ticketing.service.queue_status(queue_pass.event_id, queue_pass.user_id)
        return mapping.queue_ticket(view, queue_pass.token)

    @get(
        "/stream",
        summary="Follow one's place live until admitted",
        description=STREAM_DESCRIPTION,
        media_type="text/event-stream",
        response_description="An event stream of `draw_pending`, `position` (and `paused`, "
        "`resumed`), then `admitted`, `sold_out`, `closed`, `abandoned` or `expired`; every "
        "message has a JSON `data` line",
        responses=problems({401: BAD_TOKEN, 404: EVENT_DELETED}),
    )
    async def stream(
        self,
        ticketing: NamedDependency[Ticketing],
        token: Annotated[
            str | None, QueryParameter(description="The `token` that entering the queue answered")
        ] = None,
    ) -> ServerSentEvent:
        queue_pass = ticketing.tokens.verify(token)
        view = await ticketing.service.queue_status(queue_pass.event_id, queue_pass.user_id)
        messages = queue_messages(
            ticketing.service,
            ticketing.positions,
            view,
            ticketing.settings.stream_keepalive_seconds,
        )
        # Proxies must pass each message on as it comes rather than buffer the stream.
        return ServerSentEvent(
            messages, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    @delete(
        status_code=204,
        summary="Leave the waiting room (or give up one's admission)",
        security=QUEUE_TOKEN,
        responses=problems({401: BAD_TOKEN, 404: EVENT_DELETED}),
    )
    async def leave(
        self, queue_pass: NamedDependency[QueuePass], ticketing: NamedDependency[Ticketing]
    ) -> None:
        await ticketing.service.leave(queue_pass.event_id, queue_pass.user_id)
