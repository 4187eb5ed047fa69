"""``/api/v1/tickets``: hold seats, read a hold, confirm or cancel it. Admitted users only."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, HeaderParameter, JSONBody, SkipValidation

from ticketing_entrypoints.http import mapping, schemas
from ticketing_entrypoints.http.bodies import strict_body
from ticketing_entrypoints.http.dependencies import Ticketing
from ticketing_entrypoints.http.limits import RouteGroup, limited
from ticketing_entrypoints.http.openapi import BAD_TOKEN, QUEUE_TOKEN, TOO_LARGE, problems
from ticketing_entrypoints.http.tokens import QueuePass

IdempotencyKey = Annotated[
    str | None,
    HeaderParameter(
        name="Idempotency-Key",
        min_length=1,
        max_length=255,
        description="The same user and key within 24 hours get the same hold and answer.",
    ),
]
NOT_FOUND = "`reservation_not_found`: no such reservation of this token's user"


class TicketsController(Controller):
    path = "/api/v1/tickets"
    tags = ("tickets",)
    security = QUEUE_TOKEN
    opt = limited(RouteGroup.HOLD)  # but for reading a reservation

    @post(
        "/reserve",
        status_code=202,
        summary="Hold seats (all or nothing) while admitted",
        responses=problems(
            {
                401: BAD_TOKEN,
                403: "`not_admitted`: not (or no longer) admitted; enter the queue again",
                404: "`event_not_found`",
                409: "`sold_out` (no seat left now, of the category named in the detail in a "
                "sale with categories), `insufficient_seats` (fewer left than asked), "
                "`limit_exceeded` (over maxPerUser of the sale or of a category) or "
                "`sale_closed` (the operator closed the sale); nothing is taken",
                413: TOO_LARGE,
            }
        ),
    )
    async def reserve(
        self,
        data: JSONBody[SkipValidation[schemas.ReserveRequest]],
        queue_pass: NamedDependency[QueuePass],
        ticketing: NamedDependency[Ticketing],
        idempotency_key: IdempotencyKey = None,
    ) -> schemas.Hold:
        request = strict_body(schemas.ReserveRequest, data)
        quantity, items = mapping.seats_asked(request)
        queue_pass.require_event(request.event_id)
        reservation = await ticketing.service.reserve(
            request.event_id,
            queue_pass.user_id,
            quantity,
            idempotency_key,
            category_id=request.category_id,
            items=items,
        )
        return mapping.hold(reservation)

    @get(
        "/{reservation_id:str}",
        summary="One of one's reservations",
        responses=problems({401: BAD_TOKEN, 404: NOT_FOUND}),
        opt=limited(RouteGroup.READ),
    )
    async def get_reservation(
        self,
        reservation_id: FromPath[str],
        queue_pass: NamedDependency[QueuePass],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.Reservation:
        found = await ticketing.service.reservation(
            queue_pass.event_id, queue_pass.user_id, reservation_id
        )
        return mapping.reservation(found)

    @post(
        "/{reservation_id:str}/confirm",
        status_code=200,
        summary="Confirm a hold (PENDING -> CONFIRMED)",
        responses=problems(
            {
                401: BAD_TOKEN,
                404: NOT_FOUND,
                409: "`hold_expired` (its time ran out) or `invalid_state` (cancelled)",
            }
        ),
    )
    async def confirm(
        self,
        reservation_id: FromPath[str],
        queue_pass: NamedDependency[QueuePass],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.Reservation:
        confirmed = await ticketing.service.confirm(
            queue_pass.event_id, queue_pass.user_id, reservation_id
        )
        return mapping.reservation(confirmed)

    @post(
        "/{reservation_id:str}/cancel",
        status_code=200,
        summary="Cancel a hold (PENDING -> CANCELLED); its seats go back on sale",
        responses=problems(
            {401: BAD_TOKEN, 404: NOT_FOUND, 409: "`invalid_state`: confirmed or expired"}
        ),
    )
    async def cancel(
        self,
        reservation_id: FromPath[str],
        queue_pass: NamedDependency[QueuePass],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.Reservation:
        cancelled = await ticketing.service.cancel(
            queue_pass.event_id, queue_pass.user_id, reservation_id
        )
        return mapping.reservation(cancelled)
