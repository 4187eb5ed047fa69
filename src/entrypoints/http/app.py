"""The Litestar application of API v1, from the parts the composition root hands it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from litestar import Litestar

from ticketing_entrypoints.http.bodies import StrictJSONRequest
from ticketing_entrypoints.http.controllers import (
    AccessCodesController,
    EventsController,
    HealthController,
    MetricsController,
    OperatorController,
    QueueController,
    TicketsController,
)
from ticketing_entrypoints.http.dependencies import RequestServices, dependencies
from ticketing_entrypoints.http.head import answer_head_as_get
from ticketing_entrypoints.http.latency import RequestLatency
from ticketing_entrypoints.http.limits import RequestLimits
from ticketing_entrypoints.http.openapi import openapi_config
from ticketing_entrypoints.http.problems import Dependencies, exception_handlers
from ticketing_entrypoints.http.web import web_client
from ticketing_entrypoints.settings import Settings


def build_app(
    settings: Settings,
    services: RequestServices,
    *,
    running: Callable[[], AbstractAsyncContextManager[None]],
    latency: RequestLatency | None,
    limits: RequestLimits | None,
    unavailable: Dependencies,
) -> Litestar:
    """The API: its handlers take ``services``; ``running`` is what runs while it serves
    (backends open, background jobs); ``latency`` measures each route, if given; ``limits``
    guards each route of a route group, if given; the errors of ``unavailable`` answer 503
    naming their dependency."""

    @asynccontextmanager
    async def lifespan(_: Litestar) -> AsyncIterator[None]:
        async with running():
            yield

    app = Litestar(
        route_handlers=[
            EventsController,
            AccessCodesController,
            OperatorController,
            QueueController,
            TicketsController,
            HealthController,
            MetricsController,
            web_client(),
        ],
        dependencies=dependencies(services),
        exception_handlers=exception_handlers(unavailable),
        guards=[limits.guard] if limits is not None else [],
        # The process's logging is set up once, by whoever runs it (``ticketing_entrypoints.logs``).
        logging_config=None,
        lifespan=[lifespan],
        middleware=[latency.middleware] if latency is not None else [],
        openapi_config=openapi_config(),
        request_class=StrictJSONRequest,
        request_max_body_size=settings.max_body_bytes,
    )
    answer_head_as_get(app)
    return app
