"""The OpenAPI document at ``/schema/openapi.json``: security schemes and error responses."""

from __future__ import annotations

from collections.abc import Mapping

from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import SwaggerRenderPlugin
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme

from entrypoints.http.problems import PROBLEM_MEDIA_TYPE, Problem

ADMIN: tuple[SecurityRequirement, ...] = ({"adminKey": []},)
QUEUE_TOKEN: tuple[SecurityRequirement, ...] = ({"queueToken": []},)

MALFORMED = "`validation_error`: malformed JSON, wrong types or values out of bounds"
BAD_TOKEN = (
    "`invalid_token`: the queue token is missing, malformed, forged, expired, meant for another "
    "event, or its place in the queue is gone"
)
TOO_LARGE = "`payload_too_large`: the body is over 64 KiB"


def problems(described: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """Problem responses: each status with the codes this route answers it with.

    400 is always there: any request can be malformed.
    """
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=description,
            generate_examples=False,
        )
        for status, description in sorted({400: MALFORMED, **described}.items())
    }


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Ticketing API",
        version="1.0.0",
        description=(
            "A first-come-first-served ticketing system for flash sales: a waiting room that "
            "admits buyers in arrival order, time-limited holds, never oversold. Errors are "
            "RFC 9457 `application/problem+json` with a stable `code`."
        ),
        path="/schema",
        render_plugins=[SwaggerRenderPlugin()],
        components=Components(
            security_schemes={
                "adminKey": SecurityScheme(
                    type="http",
                    scheme="bearer",
                    description="`Authorization: Bearer <TICKETING_ADMIN_KEY>`",
                ),
                "queueToken": SecurityScheme(
                    type="apiKey",
                    name="X-Queue-Token",
                    security_scheme_in="header",
                    description="The `token` that entering the queue answered",
                ),
            }
        ),
    )
