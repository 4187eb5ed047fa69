"""Schemathesis against the app's own OpenAPI document: no 5xx, every answer as documented."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

import schemathesis
from dependency_injector import providers
from hypothesis import HealthCheck, settings
from schemathesis.checks import positive_data_acceptance

from tests.support.http import ADMIN, ADMIN_KEY, TOKEN_SECRET
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import Backends, memory_backends
from ticketing_entrypoints.bootstrap import Container, create_app
from ticketing_entrypoints.http.tokens import QueueTokens
from ticketing_entrypoints.settings import Settings

SHOW = EventSettings(
    event_id="show",
    name="Show",
    total_seats=1_000,
    max_per_user=100,
    opens_at=datetime(2020, 1, 1, tzinfo=UTC),
)


async def backends_with_a_show() -> AsyncIterator[Backends]:
    """One event with one user in its queue, so that generated calls can get past the token."""
    backends = memory_backends()
    await backends.catalog.add(SHOW, now_ms=0)
    await backends.queue.enter(SHOW, "ann", now_ms=0)
    yield backends


def app_with_a_show() -> object:
    container = Container()
    container.backends.override(providers.Resource(backends_with_a_show))
    # Request budgets off: schemathesis is one client, and every case must reach its handler.
    app_settings = Settings(
        admin_key=ADMIN_KEY,
        token_secret=TOKEN_SECRET,
        tick_interval_seconds=0.05,
        rate_limits=False,
    )
    return create_app(app_settings, container)


schema = schemathesis.openapi.from_asgi("/schema/openapi.json", app_with_a_show())
ANNS_TOKEN = QueueTokens(TOKEN_SECRET).issue("show", "ann")


@schema.parametrize()
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
def test_every_operation_answers_as_its_openapi_document_says(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(
        headers={**ADMIN, "X-Queue-Token": ANNS_TOKEN},
        excluded_checks=_rules_json_schema_cannot_state(case),
    )


def _rules_json_schema_cannot_state(case: schemathesis.Case[Any]) -> list[Any]:
    """Seat categories bring rules across fields that the document does not state: their
    seats add up to `totalSeats` and to one at least, each `categoryId` once, and `totalSeats`
    may go only with them; a reserve names a category the sale has (the show has none), and
    `quantity` may go only with `items`. A body that names categories, or leaves out what they
    make optional, may then be valid by the document and refused (400, as documented). And
    the show has no presale, so access codes for it are refused whatever the body. Only for
    those is the check that valid data is accepted left out."""
    body = case.body if isinstance(case.body, dict) else {}
    named = "categories" in body or "categoryId" in body or "items" in body
    optional = {"/api/v1/events": "totalSeats", "/api/v1/tickets/reserve": "quantity"}
    left_out = case.path in optional and body.get(optional[case.path]) is None
    codes = case.path.endswith("/codes")
    refused = named or left_out or codes
    return [positive_data_acceptance] if case.method == "POST" and refused else []
