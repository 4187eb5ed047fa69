"""The Litestar application of API v1."""

from __future__ import annotations

from dependency_injector import providers
from litestar import Litestar

from entrypoints.container import Container
from entrypoints.http.bodies import StrictJSONRequest
from entrypoints.http.controllers import (
    EventsController,
    HealthController,
    MetricsController,
    QueueController,
    TicketsController,
)
from entrypoints.http.dependencies import dependencies
from entrypoints.http.head import answer_head_as_get
from entrypoints.http.lifespan import lifespan
from entrypoints.http.openapi import openapi_config
from entrypoints.http.problems import EXCEPTION_HANDLERS
from entrypoints.http.web import web_client
from entrypoints.settings import Settings


def create_app(settings: Settings | None = None, container: Container | None = None) -> Litestar:
    """The API on ``container`` (a fresh one by default), with ``settings`` if given."""
    container = container or Container()
    if settings is not None:
        container.settings.override(providers.Object(settings))
    settings = container.settings()
    app = Litestar(
        route_handlers=[
            EventsController,
            QueueController,
            TicketsController,
            HealthController,
            MetricsController,
            web_client(),
        ],
        dependencies=dependencies(container),
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=[lifespan(container)],
        middleware=[container.latency().middleware] if settings.route_latency_metrics else [],
        openapi_config=openapi_config(),
        request_class=StrictJSONRequest,
        request_max_body_size=settings.max_body_bytes,
    )
    answer_head_as_get(app)
    return app
