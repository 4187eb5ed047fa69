"""A presale's access codes: issued by operators, listed with their uses (never the codes)."""

from __future__ import annotations

import secrets

from litestar import Controller, HttpMethod, Response, get, post, route
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody, SkipValidation

from ticketing_core.errors import InvalidInput
from ticketing_entrypoints.http import mapping, schemas
from ticketing_entrypoints.http.bodies import strict_body
from ticketing_entrypoints.http.dependencies import AdminAccess, Ticketing
from ticketing_entrypoints.http.limits import RouteGroup, limited
from ticketing_entrypoints.http.openapi import ADMIN, TOO_LARGE, UNAUTHORIZED, allowed, problems


class AccessCodesController(Controller):
    path = "/api/v1/events/{event_id:str}/codes"
    tags = ("events",)
    opt = limited(RouteGroup.ADMIN)
    security = ADMIN

    @route(http_method=HttpMethod.OPTIONS, status_code=204, include_in_schema=False)
    async def allowed_methods(self, event_id: FromPath[str]) -> Response[None]:
        return allowed("GET, OPTIONS, POST")

    @post(
        status_code=201,
        summary="Issue access codes for the sale's presale",
        description="Each code lets `maxUses` buyers enter the queue until the presale "
        "closes (each new place takes one use, counted atomically), and with `categories` "
        "lets them hold seats of those only. The answer shows the codes this once: only "
        "their SHA-256 is kept.",
        responses=problems(
            {
                400: "`validation_error`: the sale has no presale or it is over; `count` and "
                "`codes` both or neither; a code twice; a category the sale has not",
                401: UNAUTHORIZED,
                404: "`event_not_found`",
                409: "`code_exists`: one of the codes was issued before; none was issued",
                413: TOO_LARGE,
            }
        ),
    )
    async def issue_codes(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        data: JSONBody[SkipValidation[schemas.NewCodes]],
        ticketing: NamedDependency[Ticketing],
    ) -> schemas.IssuedCodes:
        body = strict_body(schemas.NewCodes, data)
        if (body.count is None) == (body.codes is None):
            raise InvalidInput("count: give it or codes, one of them")
        codes = body.codes or [secrets.token_urlsafe(16) for _ in range(body.count or 0)]
        issued = await ticketing.service.add_codes(event_id, codes, body.max_uses, body.categories)
        return mapping.issued_codes(codes, issued)

    @get(
        summary="The sale's access codes with their uses",
        responses=problems({401: UNAUTHORIZED, 404: "`event_not_found`"}),
    )
    async def list_codes(
        self,
        admin: NamedDependency[AdminAccess],
        event_id: FromPath[str],
        ticketing: NamedDependency[Ticketing],
    ) -> list[schemas.CodeUsage]:
        return [mapping.code_usage(code) for code in await ticketing.service.codes(event_id)]
