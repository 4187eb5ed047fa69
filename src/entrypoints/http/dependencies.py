"""Litestar's own dependency injection, fed from the composition root.

Handlers ask for what they need by name and type (``ticketing: Ticketing``, ``queue_pass:
QueuePass``); the ``provide_*`` functions here fetch it from ``RequestServices``, which
``ticketing_entrypoints.bootstrap`` fills. What is built on the backends resolves
asynchronously (the backends open in the lifespan), hence the awaitables.

The order is explicit: ``ticketing`` (the process's singletons) comes first, and what needs
it (``queue_pass`` its tokens, ``admin`` its key) takes it as a parameter. So no level of a
route's dependencies holds two of them: Litestar resolves such a level in an anyio task group,
which cost about 50 us of a 150 us reserve (measured in process).
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Annotated, Any

from litestar import Request
from litestar.di import NamedDependency, Provide
from litestar.params import HeaderParameter
from prometheus_client import CollectorRegistry

from ticketing_core.errors import InvalidInput
from ticketing_core.service import TicketingService
from ticketing_core.settings import IdSyntax
from ticketing_entrypoints.backends import HealthProbe
from ticketing_entrypoints.http.client_address import ClientAddresses
from ticketing_entrypoints.http.entry_checks import EntryChecks
from ticketing_entrypoints.http.errors import Unauthorized
from ticketing_entrypoints.http.limit_metrics import LimitMetrics
from ticketing_entrypoints.http.positions import PositionHub
from ticketing_entrypoints.http.stream_caps import StreamCaps
from ticketing_entrypoints.http.tokens import QUEUE_TOKEN_HEADER, QueuePass, QueueTokens
from ticketing_entrypoints.settings import Settings

OPERATOR_HEADER = "X-Operator"
"""Optional, on admin routes: the name of the person acting, kept in the record of changes
beside the admin key's id (which is what proves who could act)."""
OPERATOR_NAME = IdSyntax(r"[!-~](?:[ -~]{0,98}[!-~])?")
"""1 to 100 printable ASCII characters, spaces only inside (HTTP trims a header's ends)."""


@dataclass(frozen=True, slots=True)
class AdminAccess:
    """Proof that the request carried the admin key; asking for it is what protects a route.

    ``actor`` says who acted, as the record of changes keeps it: the ``X-Operator`` name if
    one was given, and the admin key's id (the first 8 hex digits of its SHA-256, which
    reveal nothing of the key)."""

    actor: str


def admin_key_id(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()[:8]


def actor_of(name: str | None, key_id: str) -> str:
    """Raises ``InvalidInput`` for a name that is not ``OPERATOR_NAME`` (it is shown to
    other operators and written to logs)."""
    if name is None:
        return f"key {key_id}"
    if not OPERATOR_NAME.matches(name):
        raise InvalidInput(f"{OPERATOR_HEADER}: must match {OPERATOR_NAME.json_schema_pattern}")
    return f"{name} (key {key_id})"


@dataclass(frozen=True, slots=True)
class RequestServices:
    """Where each thing a handler may ask for comes from (each call answers the same one)."""

    service: Callable[[], Awaitable[TicketingService]]
    positions: Callable[[], Awaitable[PositionHub]]
    probes: Callable[[], Awaitable[Mapping[str, HealthProbe]]]
    registry: Callable[[], CollectorRegistry]
    settings: Callable[[], Settings]
    tokens: Callable[[], QueueTokens]
    admin_key: Callable[[], str]
    entry: Callable[[], Awaitable[EntryChecks]]
    streams: Callable[[], StreamCaps]
    addresses: Callable[[], ClientAddresses]
    limit_metrics: Callable[[], LimitMetrics]


@dataclass(frozen=True)
class Ticketing:
    """The process's parts a handler works with, one dependency (see the module's note)."""

    service: TicketingService
    tokens: QueueTokens
    positions: PositionHub
    settings: Settings
    admin_key: str
    entry: EntryChecks
    streams: StreamCaps
    addresses: ClientAddresses
    limit_metrics: LimitMetrics

    @cached_property
    def admin_key_id(self) -> str:
        return admin_key_id(self.admin_key)


def dependencies(services: RequestServices) -> dict[str, Provide]:
    resolved: list[Ticketing] = []

    async def provide_ticketing() -> Ticketing:
        # Singletons all: built on the first request, then the same one for every request.
        if not resolved:
            resolved.append(
                Ticketing(
                    service=await services.service(),
                    tokens=services.tokens(),
                    positions=await services.positions(),
                    settings=services.settings(),
                    admin_key=services.admin_key(),
                    entry=await services.entry(),
                    streams=services.streams(),
                    addresses=services.addresses(),
                    limit_metrics=services.limit_metrics(),
                )
            )
        return resolved[0]

    async def provide_probes() -> Mapping[str, HealthProbe]:
        return await services.probes()

    def provide_registry() -> CollectorRegistry:
        return services.registry()

    def provide_queue_pass(
        request: Request[Any, Any, Any], ticketing: NamedDependency[Ticketing]
    ) -> QueuePass:
        return ticketing.tokens.verify(request.headers.get(QUEUE_TOKEN_HEADER))

    def provide_admin(
        request: Request[Any, Any, Any],
        ticketing: NamedDependency[Ticketing],
        operator: Annotated[
            str | None,
            HeaderParameter(
                name=OPERATOR_HEADER,
                required=False,
                description="Who acts (1 to 100 printable ASCII characters), kept in the "
                "record of changes with the admin key's id",
                schema_extra={"pattern": OPERATOR_NAME.json_schema_pattern},
            ),
        ] = None,
    ) -> AdminAccess:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        expected = ticketing.admin_key.encode()
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), expected):
            raise Unauthorized("admin routes need 'Authorization: Bearer <admin key>'")
        return AdminAccess(actor_of(operator, ticketing.admin_key_id))

    return {
        "ticketing": Provide(provide_ticketing),
        "probes": Provide(provide_probes),
        "registry": Provide(provide_registry, sync_to_thread=False),
        "queue_pass": Provide(provide_queue_pass, sync_to_thread=False),
        "admin": Provide(provide_admin, sync_to_thread=False),
    }
