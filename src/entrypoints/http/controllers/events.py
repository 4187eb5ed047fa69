"""``/api/v1/events``: create an event (admin), read it with its live stats."""

from __future__ import annotations

import uuid

import pydantic
from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from entrypoints.http import mapping, schemas
from entrypoints.http.bodies import strict_body
from entrypoints.http.dependencies import AdminAccess
from entrypoints.http.openapi import ADMIN, TOO_LARGE, problems
from ticketing_core.errors import InvalidInput
from ticketing_core.service import TicketingService


class EventsController(Controller):
    path = "/api/v1/events"
    tags = ("events",)

    @post(
        status_code=201,
        summary="Create an event (a sale)",
        security=ADMIN,
        responses=problems(
            {
                401: "`unauthorized`: the admin key is missing or wrong",
                409: "`event_exists`: the eventId is taken",
                413: TOO_LARGE,
            }
        ),
    )
    async def create_event(
        self,
        admin: NamedDependency[AdminAccess],
        data: JSONBody[SkipValidation[schemas.NewEvent]],
        service: NamedDependency[TicketingService],
    ) -> schemas.Event:
        body = strict_body(schemas.NewEvent, data)
        event_id = body.event_id or f"evt-{uuid.uuid4().hex[:16]}"
        try:
            settings = mapping.event_settings(body, event_id, service.clock.now_ms())
        except pydantic.ValidationError as error:
            raise InvalidInput(_first_reason(error)) from None
        return mapping.event(await service.create_event(settings))

    @get(
        "/{event_id:str}",
        summary="An event, with live stats",
        responses=problems({404: "`event_not_found`"}),
    )
    async def get_event(
        self, event_id: FromPath[str], service: NamedDependency[TicketingService]
    ) -> schemas.EventWithStats:
        settings = await service.event(event_id)
        return mapping.event_with_stats(settings, await service.stats(event_id))


def _first_reason(error: pydantic.ValidationError) -> str:
    first = error.errors(include_url=False)[0]
    where = ".".join(str(part) for part in first["loc"])
    return f"{where}: {first['msg']}"
