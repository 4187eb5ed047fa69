"""Litestar's own dependency injection, fed from the container.

Handlers ask for what they need by name and type (``service: TicketingService``); the
``provide_*`` functions here fetch it from the container. Providers built on the backends
resolve asynchronously (the backends open in the lifespan), hence ``async_()``.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from prometheus_client import CollectorRegistry

from entrypoints.backends import HealthProbe
from entrypoints.container import Container
from entrypoints.http.errors import Unauthorized
from entrypoints.http.positions import PositionHub
from entrypoints.http.tokens import QueuePass, QueueTokens
from entrypoints.settings import Settings
from ticketing_core.service import TicketingService

QUEUE_TOKEN_HEADER = "X-Queue-Token"


@dataclass(frozen=True, slots=True)
class AdminAccess:
    """Proof that the request carried the admin key; asking for it is what protects a route."""


def dependencies(container: Container) -> dict[str, Provide]:
    async def provide_service() -> TicketingService:
        return await container.service.async_()

    async def provide_positions() -> PositionHub:
        return await container.positions.async_()

    async def provide_probes() -> Mapping[str, HealthProbe]:
        probes: Mapping[str, HealthProbe] = await container.probes.async_()
        return probes

    def provide_registry() -> CollectorRegistry:
        return container.registry()

    def provide_settings() -> Settings:
        return container.settings()

    def provide_tokens(service: NamedDependency[TicketingService]) -> QueueTokens:
        # ``service`` is not used: it puts the tokens one level behind the service, so that
        # no level of the chain service -> tokens -> queue_pass holds two dependencies.
        # Litestar resolves a level of two or more in an anyio task group, which cost about
        # 50 us of a 150 us reserve (measured in process).
        return container.tokens()

    def provide_queue_pass(
        request: Request[Any, Any, Any], tokens: NamedDependency[QueueTokens]
    ) -> QueuePass:
        return tokens.verify(request.headers.get(QUEUE_TOKEN_HEADER))

    def provide_admin(request: Request[Any, Any, Any]) -> AdminAccess:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        expected = container.admin_key().encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), expected):
            raise Unauthorized("admin routes need 'Authorization: Bearer <admin key>'")
        return AdminAccess()

    return {
        "service": Provide(provide_service),
        "positions": Provide(provide_positions),
        "probes": Provide(provide_probes),
        "settings": Provide(provide_settings, sync_to_thread=False),
        "registry": Provide(provide_registry, sync_to_thread=False),
        "tokens": Provide(provide_tokens, sync_to_thread=False),
        "queue_pass": Provide(provide_queue_pass, sync_to_thread=False),
        "admin": Provide(provide_admin, sync_to_thread=False),
    }
