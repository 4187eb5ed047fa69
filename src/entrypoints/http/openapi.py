"""The OpenAPI document at ``/schema/openapi.json``: security schemes and error responses.

And the page that shows it, Swagger UI at ``/schema``, served whole from installed packages:
swagger-ui's own files from ``swagger-ui-bundle-v2`` (pinned in ``pyproject.toml``), the few
lines that start it from ``schema_ui/``. Nothing is loaded from another origin, so the page works
offline and runs under the same Content-Security-Policy as the web client.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from pathlib import Path
from typing import Any

from litestar import Request, Response, Router, get
from litestar._openapi.plugin import handle_schema_path_not_found
from litestar.exceptions import NotFoundException
from litestar.handlers import HTTPRouteHandler
from litestar.openapi import OpenAPIConfig, ResponseSpec
from litestar.openapi.plugins import OpenAPIRenderPlugin
from litestar.openapi.spec import Components, SecurityRequirement, SecurityScheme
from litestar.params import FromPath
from litestar.response import File
from litestar.routes import BaseRoute
from litestar.types import ControllerRouterHandler
from swagger_ui_bundle import swagger_ui_path  # type: ignore[import-untyped]  # no py.typed

from ticketing_entrypoints.http.problems import PROBLEM_MEDIA_TYPE, Problem
from ticketing_entrypoints.http.web import CONTENT_SECURITY_POLICY, REVALIDATE

ADMIN: tuple[SecurityRequirement, ...] = ({"adminKey": []},)
QUEUE_TOKEN: tuple[SecurityRequirement, ...] = ({"queueToken": []},)

MALFORMED = "`validation_error`: malformed JSON, wrong types or values out of bounds"
BAD_TOKEN = (
    "`invalid_token`: the queue token is missing, malformed, forged, expired, meant for another "
    "event, or its place in the queue is gone"
)
TOO_LARGE = "`payload_too_large`: the body is over 64 KiB"
UNAUTHORIZED = "`unauthorized`: the admin key is missing or wrong"


def allowed(methods: str) -> Response[None]:
    """The answer to ``OPTIONS`` on a path with several handlers: Litestar 2's own names only
    the first of them (litestar#4169, fixed in v3), and schemathesis holds `Allow` to the
    document."""
    return Response(None, status_code=204, headers={"Allow": methods})


RATE_LIMITED = (
    "`rate_limited`: the client (its address, or the buyer its queue token names) spent its "
    "request budget for this kind of request; `Retry-After` says when the next one passes"
)

SCHEMA_PATH = "/schema"

SWAGGER_UI = Path(str(swagger_ui_path))
"""swagger-ui's distribution files, as the installed package ships them."""

SCHEMA_UI = Path(__file__).parent / "schema_ui"

SCHEMA_ASSETS: dict[str, tuple[Path, str]] = {
    "swagger-ui-bundle.js": (SWAGGER_UI / "swagger-ui-bundle.js", "text/javascript"),
    "swagger-ui.css": (SWAGGER_UI / "swagger-ui.css", "text/css"),
    "favicon-32x32.png": (SWAGGER_UI / "favicon-32x32.png", "image/png"),
    "swagger-init.js": (SCHEMA_UI / "swagger-init.js", "text/javascript"),
}
"""The only files under ``/schema/assets/``: looked up by name, never joined into a path."""

SCHEMA_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
"""On every answer under ``/schema``, as on the web client's pages."""

ASSET_ROUTE = "schema_asset"


def problems(described: Mapping[int, str]) -> dict[int, ResponseSpec]:
    """Problem responses: each status with the codes this route answers it with.

    400 is always there: any request can be malformed; and 429, as every route of API v1 is
    in a route group with a request budget (``ticketing_entrypoints.http.limits``).
    """
    return {
        status: ResponseSpec(
            data_container=Problem,
            media_type=PROBLEM_MEDIA_TYPE,
            description=description,
            generate_examples=False,
        )
        for status, description in sorted({400: MALFORMED, 429: RATE_LIMITED, **described}.items())
    }


@get(
    "/assets/{file:str}",
    name=ASSET_ROUTE,
    cache_control=REVALIDATE,
    sync_to_thread=False,
    include_in_schema=False,
)
def schema_asset(file: FromPath[str]) -> File:
    found = SCHEMA_ASSETS.get(file)
    if found is None:
        raise NotFoundException()
    path, media_type = found
    return File(path, filename=file, content_disposition_type="inline", media_type=media_type)


class SwaggerPage(OpenAPIRenderPlugin):
    """Swagger UI from this origin only: Litestar's ``SwaggerRenderPlugin`` loads it from a CDN
    and starts it with an inline script, which ``script-src 'self'`` refuses."""

    def __init__(self) -> None:
        super().__init__(path="/swagger", favicon="", style="")

    def render(self, request: Request[Any, Any, Any], openapi_schema: dict[str, Any]) -> bytes:
        def asset(name: str) -> str:
            return escape(request.app.route_reverse(ASSET_ROUTE, file=name))

        title = escape(str(openapi_schema["info"]["title"]))
        document = escape(self.get_openapi_json_route(request))
        return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="icon" type="image/png" href="{asset("favicon-32x32.png")}">
<link rel="stylesheet" href="{asset("swagger-ui.css")}">
</head>
<body>
<div id="swagger-ui" data-spec-url="{document}"></div>
<script src="{asset("swagger-ui-bundle.js")}"></script>
<script src="{asset("swagger-init.js")}"></script>
</body>
</html>
""".encode()

    def receive_router(self, router: Router) -> None:
        router.register(schema_asset)


HTML_NOT_FOUND: object = handle_schema_path_not_found
"""Litestar's handler of every unknown path under ``/schema``: it answers an HTML page."""


class SchemaRouter(Router):
    """The router of ``/schema`` without Litestar's HTML catch-all: an unknown path there falls
    through to routing's 404 and so to ``problems``, like every other refusal."""

    def register(self, value: ControllerRouterHandler) -> list[BaseRoute]:
        if isinstance(value, HTTPRouteHandler) and value.fn is HTML_NOT_FOUND:
            return []
        return super().register(value)


def openapi_config() -> OpenAPIConfig:
    return OpenAPIConfig(
        title="Ticketing API",
        version="1.0.0",
        description=(
            "A first-come-first-served ticketing system for flash sales: a waiting room that "
            "admits buyers in arrival order, time-limited holds, never oversold. Errors are "
            "RFC 9457 `application/problem+json` with a stable `code`."
        ),
        path=SCHEMA_PATH,
        # One page, and it is served from here; Litestar's other pages all load from CDNs.
        render_plugins=[SwaggerPage()],
        openapi_router=SchemaRouter(
            SCHEMA_PATH,
            route_handlers=[],
            include_in_schema=False,
            response_headers=SCHEMA_HEADERS,
        ),
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
