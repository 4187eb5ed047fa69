"""``/api/v1/queue``: enter the waiting room, follow one's place, leave."""

from __future__ import annotations

import weakref
from typing import Annotated, Any

from litestar import Controller, Request, delete, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody, QueryParameter, SkipValidation
from litestar.response import ServerSentEvent

from ticketing_core.clock import to_datetime
from ticketing_core.errors import NotInQueue
from ticketing_core.model import QueueStatus
from ticketing_entrypoints.http import mapping, schemas
from ticketing_entrypoints.http.bodies import strict_body
from ticketing_entrypoints.http.dependencies import Ticketing
from ticketing_entrypoints.http.limits import RouteGroup, limited
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
An open stream keeps its buyer present. One buyer holds at most two streams (a setting): a
third ends the oldest with `event: replaced` (data `{}`)."""

ENTRY_REFUSALS = (
    "`work_required` (the sale asks for proof of work: no challenge or nonce), "
    "`challenge_refused` (not issued for this sale, expired, or used already), "
    "`work_insufficient` (SHA-256(challenge || nonce) has too few leading zero bits), "
    "`grant_refused` (the sale needs an `entryGrant` naming this user, signed with its key), "
    "`code_required` (the presale takes entries with an `accessCode` only), `invalid_code` "
    "(unknown, used up, or brought when no presale takes codes)"
)


class QueueController(Controller):
    path = "/api/v1/queue"
    tags = ("queue",)

    @post(
        "/challenge",
        status_code=200,
        summary="An entry challenge (proof of work) for a sale",
        description="For a sale with `entryWorkBits` > 0, an entry must bring a challenge from "
        "here and a `nonce` such that SHA-256(challenge || nonce), as ASCII, starts with "
        "`workBits` zero bits. Each challenge is good for one entry until `expiresAt`.",
        responses=problems({404: "`event_not_found`", 413: TOO_LARGE}),
        opt=limited(RouteGroup.ENTER),
    )
    async def challenge(
        self,
        data: JSONBody[SkipValidation[schemas.ChallengeRequest]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EntryChallenge:
        body = strict_body(schemas.ChallengeRequest, data)
        issued = ticketing.entry.issue(await ticketing.service.event(body.event_id))
        return schemas.EntryChallenge(
            challenge=issued.challenge,
            work_bits=issued.work_bits,
            expires_at=to_datetime(issued.expires_at_ms),
        )

    @post(
        "/enter",
        status_code=200,
        summary="Enter the waiting room (idempotent while waiting or admitted)",
        description="A sale may ask for proof of work (`entryWorkBits`: bring `challenge` "
        "and `nonce`) and for an entry grant of the operator's site (`entryGrantRequired`: "
        "bring `entryGrant`, on every entry). Entering again while waiting or admitted keeps "
        "the place and needs no new work.",
        responses=problems(
            {
                403: ENTRY_REFUSALS,
                404: "`event_not_found`",
                409: "`sold_out`: no seat is left and no hold can bring one back; "
                "`sale_closed`: the operator closed the sale",
                413: TOO_LARGE,
            }
        ),
        opt=limited(RouteGroup.ENTER),
    )
    async def enter(
        self,
        data: JSONBody[SkipValidation[schemas.QueueEntry]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.QueueTicket:
        entry = strict_body(schemas.QueueEntry, data)
        settings = await ticketing.service.event(entry.event_id)
        # A grant is asked of every entry (a token speaks for its user); the work only of
        # one that would take a new place.
        ticketing.entry.check_grant(settings, entry.user_id, entry.entry_grant)
        if settings.entry_work_bits and not await _holds_a_place(
            ticketing, entry.event_id, entry.user_id
        ):
            await ticketing.entry.check_work(settings, entry.challenge, entry.nonce)
        view = await ticketing.service.enter(entry.event_id, entry.user_id, entry.access_code)
        return mapping.queue_ticket(view, ticketing.tokens.issue(entry.event_id, entry.user_id))

    @get(
        "/status",
        summary="One's place in the waiting room",
        security=QUEUE_TOKEN,
        responses=problems({401: BAD_TOKEN, 404: EVENT_DELETED}),
        opt=limited(RouteGroup.READ),
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
        responses=problems(
            {
                401: BAD_TOKEN,
                404: EVENT_DELETED,
                429: "`rate_limited` (stream opens past the client's budget) or "
                "`too_many_streams` (this address holds as many open streams as allowed)",
            }
        ),
        opt=limited(RouteGroup.STREAM),
    )
    async def stream(
        self,
        request: Request[Any, Any, Any],
        ticketing: NamedDependency[Ticketing],
        token: Annotated[
            str | None, QueryParameter(description="The `token` that entering the queue answered")
        ] = None,
    ) -> ServerSentEvent:
        queue_pass = ticketing.tokens.verify(token)
        view = await ticketing.service.queue_status(queue_pass.event_id, queue_pass.user_id)
        slot = ticketing.streams.open(
            queue_pass.event_id, queue_pass.user_id, ticketing.addresses.of(request.scope)
        )
        messages = queue_messages(
            ticketing.service,
            ticketing.positions,
            view,
            ticketing.settings.stream_keepalive_seconds,
            slot,
        )
        # A stream whose answer never starts (a HEAD, a client gone first) never runs its
        # messages, whose end releases the slot: then its collection does.
        weakref.finalize(messages, slot.release)
        # Proxies must pass each message on as it comes rather than buffer the stream.
        return ServerSentEvent(
            messages, headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
        )

    @delete(
        status_code=204,
        summary="Leave the waiting room (or give up one's admission)",
        security=QUEUE_TOKEN,
        responses=problems({401: BAD_TOKEN, 404: EVENT_DELETED}),
        opt=limited(RouteGroup.HOLD),
    )
    async def leave(
        self, queue_pass: NamedDependency[QueuePass], ticketing: NamedDependency[Ticketing]
    ) -> None:
        await ticketing.service.leave(queue_pass.event_id, queue_pass.user_id)


async def _holds_a_place(ticketing: Ticketing, event_id: str, user_id: str) -> bool:
    """Whether the buyer waits or is admitted: entering again keeps the place and needs no
    new work."""
    try:
        view = await ticketing.service.queue_status(event_id, user_id)
    except NotInQueue:
        return False
    return view.status in (QueueStatus.WAITING, QueueStatus.ADMITTED)
