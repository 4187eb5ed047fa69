"""``/api/v1/events``: create an event (admin), list the events or read one, with live stats;
change a running sale: its settings, pause, resume, close, seats (admin); delete one that sold
nothing (admin)."""

from __future__ import annotations

import asyncio
import logging
import uuid
from typing import Annotated, Literal
from urllib.parse import urlencode

import pydantic
from litestar import Controller, HttpMethod, Response, delete, get, patch, post, route
from litestar.datastructures import ResponseHeader
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, QueryParameter, SkipValidation

from ticketing_core.changes import ChangeKind, SaleChange
from ticketing_core.errors import EventNotFound, InvalidInput
from ticketing_core.service import TicketingService
from ticketing_entrypoints.http import mapping, schemas
from ticketing_entrypoints.http.bodies import strict_body
from ticketing_entrypoints.http.dependencies import AdminAccess, Ticketing
from ticketing_entrypoints.http.limits import RouteGroup, limited
from ticketing_entrypoints.http.loggable import loggable
from ticketing_entrypoints.http.openapi import ADMIN, TOO_LARGE, UNAUTHORIZED, allowed, problems

log = logging.getLogger(__name__)

DEFAULT_PAGE = 100
MAX_PAGE = 500
"""Each listed event costs a few reads of its stats: a page is bounded, however many sales
there have been."""


_CLOSE_PROBLEMS: dict[int, str] = {
    401: UNAUTHORIZED,
    404: "`event_not_found`",
}
_STATE_CHANGE_PROBLEMS: dict[int, str] = {
    **_CLOSE_PROBLEMS,
    409: "`sale_closed`: a closed sale changes no more",
}


def _state_change(
    action: str, summary: str, description: str, refusals: dict[int, str] = _STATE_CHANGE_PROBLEMS
) -> post:
    """The route of one of the sale's state changes: ``POST .../{action}``, admin, 200."""
    return post(
        f"/{{event_id:str}}/{action}",
        status_code=200,
        summary=summary,
        description=description,
        security=ADMIN,
        responses=problems(refusals),
    )


class EventsController(Controller):
    path = "/api/v1/events"
    tags = ("events",)
    opt = limited(RouteGroup.ADMIN)  # but for the two public reads

    @post(
        status_code=201,
        summary="Create an event (a sale)",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                409: "`event_exists`: the eventId is taken",
                413: TOO_LARGE,
            }
        ),
    )
    async def create_event(
        self,
        admin: NamedDependency[AdminAccess],
        data: JSONBody[SkipValidation[schemas.NewEvent]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.Event:
        body = strict_body(schemas.NewEvent, data)
        event_id = body.event_id or f"evt-{uuid.uuid4().hex[:16]}"
        try:
            settings = mapping.event_settings(body, event_id, ticketing.service.clock.now_ms())
        except pydantic.ValidationError as error:
            raise InvalidInput(_first_reason(error)) from None
        return mapping.event(await ticketing.service.create_event(settings))

    @get(
        summary="The events with live stats, a page at a time",
        description="Public, like reading one event: what the buyer's page offers to pick "
        "from. Oldest first unless `order=newest`. `X-Total-Count` counts every event; while "
        'more follow, `Link: <...>; rel="next"` names the next page.',
        responses=problems({400: "`validation_error`: a paging parameter is out of range"}),
        opt=limited(RouteGroup.READ),
        response_headers=[
            ResponseHeader(
                name="X-Total-Count", description="Events in all pages", documentation_only=True
            ),
            ResponseHeader(
                name="Link",
                required=False,
                description='The next page, as rel="next"',
                documentation_only=True,
            ),
        ],
    )
    async def list_events(
        self,
        ticketing: NamedDependency[Ticketing],
        limit: Annotated[
            int, QueryParameter(ge=1, le=MAX_PAGE, description="Events in this page")
        ] = DEFAULT_PAGE,
        offset: Annotated[int, QueryParameter(ge=0, description="Events skipped")] = 0,
        order: Annotated[
            Literal["oldest", "newest"], QueryParameter(description="By creation")
        ] = "oldest",
    ) -> Response[list[schemas.EventWithStats]]:
        event_ids = await ticketing.service.event_ids()
        if order == "newest":
            event_ids.reverse()
        page = event_ids[offset : offset + limit]
        found = await asyncio.gather(*(_listed(ticketing.service, id_) for id_ in page))
        events = [event for event in found if event is not None]
        headers = {"X-Total-Count": str(len(event_ids))}
        if offset + limit < len(event_ids):
            query = urlencode({"limit": limit, "offset": offset + limit, "order": order})
            headers["Link"] = f'<{self.path}?{query}>; rel="next"'
        return Response(events, headers=headers)

    @route(http_method=HttpMethod.OPTIONS, status_code=204, include_in_schema=False)
    async def allowed_methods(self) -> Response[None]:
        return allowed("GET, OPTIONS, POST")

    @route(
        "/{event_id:str}",
        http_method=HttpMethod.OPTIONS,
        status_code=204,
        include_in_schema=False,
    )
    async def allowed_methods_of_one(self, event_id: FromPath[str]) -> Response[None]:
        return allowed("DELETE, GET, OPTIONS, PATCH")

    @get(
        "/{event_id:str}",
        summary="An event, with live stats",
        responses=problems({404: "`event_not_found`"}),
        opt=limited(RouteGroup.READ),
    )
    async def get_event(
        self, event_id: FromPath[str], ticketing: NamedDependency[Ticketing]
    ) -> schemas.EventWithStats:
        return await _with_stats(ticketing.service, event_id)

    @patch(
        "/{event_id:str}",
        summary="Change a running sale's settings",
        description="Any of `name`, `admissionRatePerSecond`, `maxActiveUsers`, "
        "`admissionTtlSeconds`, `holdTtlSeconds`, `presenceTimeoutSeconds` (none: no "
        "change). New values apply to "
        "admissions and holds made after the change; every instance applies them at its next "
        "tick.",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                404: "`event_not_found`",
                409: "`sale_closed`: a closed sale changes no more",
                413: TOO_LARGE,
            }
        ),
    )
    async def change_event(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        data: JSONBody[SkipValidation[schemas.EventChanges]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EventWithStats:
        fixed = (
            sorted(set(data) & set(schemas.FIXED_EVENT_FIELDS)) if isinstance(data, dict) else []
        )
        if fixed:
            raise InvalidInput(
                f"{', '.join(fixed)}: cannot change this way (seats: POST .../seats; the "
                "state: .../pause, .../resume, .../close)"
            )
        body = strict_body(schemas.EventChanges, data)
        change = SaleChange.of_settings(mapping.setting_changes(body))
        return await _changed(ticketing.service, event_id, change, admin)

    @_state_change(
        "pause",
        "Pause admissions",
        "Nobody is admitted until resumed; waiting buyers keep their places and are told; "
        "admitted buyers can still reserve, confirm and cancel. Pausing a paused sale changes "
        "nothing.",
    )
    async def pause(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EventWithStats:
        change = SaleChange.of_state(ChangeKind.PAUSE)
        return await _changed(ticketing.service, event_id, change, admin)

    @_state_change(
        "resume", "Resume admissions", "Admissions go on in order of entry, at the sale's rate."
    )
    async def resume(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EventWithStats:
        change = SaleChange.of_state(ChangeKind.RESUME)
        return await _changed(ticketing.service, event_id, change, admin)

    @_state_change(
        "close",
        "Close the sale, for good",
        "No more entries (409 `sale_closed`) and no more reserves; waiting buyers see `CLOSED` "
        "and their streams end with `closed`; pending holds can still be confirmed until they "
        "expire. Closing a closed sale changes nothing.",
        refusals=_CLOSE_PROBLEMS,
    )
    async def close(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EventWithStats:
        change = SaleChange.of_state(ChangeKind.CLOSE)
        return await _changed(ticketing.service, event_id, change, admin)

    @post(
        "/{event_id:str}/seats",
        status_code=200,
        summary="Put seats on sale, or withdraw unsold ones",
        description="`delta > 0` adds seats (a sold-out sale opens again); `delta < 0` "
        "withdraws seats that are still unsold, never what is held or sold. A sale keeps "
        "1..10,000,000 seats.",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                404: "`event_not_found`",
                409: "`insufficient_seats`: fewer seats are unsold than withdrawn; `sale_closed`",
                413: TOO_LARGE,
            }
        ),
    )
    async def change_seats(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        data: JSONBody[SkipValidation[schemas.SeatChange]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EventWithStats:
        body = strict_body(schemas.SeatChange, data)
        change = SaleChange.of_seats(body.delta, body.category_id)
        return await _changed(ticketing.service, event_id, change, admin)

    @get(
        "/{event_id:str}/changes",
        summary="What operators changed in the sale, oldest first",
        description="Every change that changed something (a pause of a paused sale is "
        "none), with who asked and when, as the durable record holds it: a change appears "
        "once it is relayed and stored, normally within a second.",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                404: "`event_not_found`",
            }
        ),
    )
    async def list_changes(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> list[schemas.EventChange]:
        return [mapping.event_change(c) for c in await ticketing.service.changes(event_id)]

    @get(
        "/{event_id:str}/entry-grant-key",
        summary="The key the operator's site signs this sale's entry grants with",
        description="For a sale with `entryGrantRequired`: the operator's login signs, for "
        "each user it verified, a JWT (HS256, this key) with claims `sub` (the user id), `evt` "
        "(this event id) and `exp` (a Unix time), and hands it to the buyer's page as "
        "`entryGrant`. The key is derived from the server's token secret and the event id: the "
        "same on every instance, stored nowhere.",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                404: "`event_not_found`",
            }
        ),
    )
    async def entry_grant_key(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.EntryGrantKey:
        await ticketing.service.event(event_id)
        return schemas.EntryGrantKey(key=ticketing.entry.grant_key(event_id))

    @delete(
        "/{event_id:str}",
        status_code=204,
        summary="Delete an event that sold nothing",
        description="For a broken or test event: refused once any hold was made in it (of "
        "any status since). Whoever waits or is admitted loses their place; the id may then "
        "be created again.",
        security=ADMIN,
        responses=problems(
            {
                401: UNAUTHORIZED,
                404: "`event_not_found`",
                409: "`event_has_reservations`: a hold was made in it; nothing was deleted",
            }
        ),
    )
    async def delete_event(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> None:
        await ticketing.service.delete_event(event_id)
        log.info("deleted event %s", loggable(event_id))


async def _changed(
    service: TicketingService, event_id: str, change: SaleChange, admin: AdminAccess
) -> schemas.EventWithStats:
    settings = await service.change_event(event_id, change, admin.actor)
    log.info(
        "event %s: %s by %s (version %d)",
        loggable(event_id),
        change.kind,
        loggable(admin.actor),
        settings.version,
    )
    return mapping.event_with_stats(settings, await service.stats(event_id), service.clock.now_ms())


async def _listed(service: TicketingService, event_id: str) -> schemas.EventWithStats | None:
    """None for an event deleted between the listing and this read."""
    try:
        return await _with_stats(service, event_id)
    except EventNotFound:
        return None


async def _with_stats(service: TicketingService, event_id: str) -> schemas.EventWithStats:
    settings = await service.event(event_id)
    return mapping.event_with_stats(settings, await service.stats(event_id), service.clock.now_ms())


def _first_reason(error: pydantic.ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}" if where else str(first["msg"])
