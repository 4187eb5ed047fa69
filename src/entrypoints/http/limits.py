"""Request budgets per client: a guard on every API route that names its route group.

Each route of API v1 belongs to one group (``limited``); each group has a budget per client
address and, where a queue token says who the buyer is, one per buyer (``TICKETING_LIMIT_*``).
A request spends one from each that applies, address first; one spent budget refuses it with
429 ``rate_limited`` and a ``Retry-After`` that, once waited, lets the next one through. The
buckets live where the hot state does (``RequestBudgets``), so on Redis every instance shares
them. Health, metrics, the pages and the schema name no group: they are never limited.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any

from litestar.connection import ASGIConnection
from litestar.handlers import BaseRouteHandler

from ticketing_core.budgets import Budget, retry_after_seconds
from ticketing_core.ports import RequestBudgets
from ticketing_entrypoints.http.client_address import ClientAddresses, bucket_of
from ticketing_entrypoints.http.errors import InvalidToken, RateLimited
from ticketing_entrypoints.http.limit_metrics import LimitMetrics
from ticketing_entrypoints.http.tokens import QUEUE_TOKEN_HEADER, QueuePass, QueueTokens
from ticketing_entrypoints.settings import Settings

_GROUP_OPTION = "route_group"


log = logging.getLogger(__name__)


class RouteGroup(StrEnum):
    ENTER = "enter"
    """Entering the queue and asking for an entry challenge."""
    READ = "read"
    """One's status, an event, a reservation."""
    HOLD = "hold"
    """Reserve, confirm, cancel, leave the queue."""
    STREAM = "stream"
    """Opening a position stream."""
    ADMIN = "admin"
    """Every route that needs the admin key."""


def limited(group: RouteGroup) -> dict[str, Any]:
    """A route handler's ``opt`` that puts it in ``group``."""
    return {_GROUP_OPTION: group}


class RequestLimits:
    """The guard (``guard``) and what it needs: the budgets, the settings' budget per group,
    who a request comes from."""

    @classmethod
    def of_settings(
        cls,
        settings: Settings,
        *,
        budgets: Callable[[], Awaitable[RequestBudgets]],
        addresses: ClientAddresses,
        tokens: Callable[[], QueueTokens],
        metrics: LimitMetrics,
    ) -> RequestLimits:
        """With the budgets of ``TICKETING_LIMIT_<GROUP>_PER_ADDRESS`` and ``_PER_USER``."""
        return cls(
            budgets=budgets,
            per_address={
                group: settings.budget(f"{group.value}_per_address") for group in RouteGroup
            },
            per_user={
                group: settings.budget(f"{group.value}_per_user")
                for group in (RouteGroup.READ, RouteGroup.HOLD, RouteGroup.STREAM)
            },
            addresses=addresses,
            tokens=tokens,
            metrics=metrics,
        )

    def __init__(
        self,
        *,
        budgets: Callable[[], Awaitable[RequestBudgets]],
        per_address: dict[RouteGroup, Budget],
        per_user: dict[RouteGroup, Budget],
        addresses: ClientAddresses,
        tokens: Callable[[], QueueTokens],
        metrics: LimitMetrics,
    ) -> None:
        self._budgets = budgets
        self._resolved: RequestBudgets | None = None
        self._per_address = per_address
        self._per_user = per_user
        self._addresses = addresses
        self._tokens = tokens
        self._metrics = metrics

    async def guard(
        self, connection: ASGIConnection[Any, Any, Any, Any], handler: BaseRouteHandler
    ) -> None:
        group = handler.opt.get(_GROUP_OPTION)
        if group is None:
            return
        budgets = self._resolved or await self._resolve()
        address = bucket_of(self._addresses.of(connection.scope))
        spent = [("address", f"{group}:address:{address}", self._per_address[group])]
        user_budget = self._per_user.get(group)
        if user_budget is not None:
            queue_pass = self._queue_pass(connection, group)
            if queue_pass is not None:
                buyer = f"{group}:user:{queue_pass.event_id}/{queue_pass.user_id}"
                spent.append(("user", buyer, user_budget))
        try:
            refused, wait_us = await budgets.spend([(b, budget) for _, b, budget in spent])
        except Exception as error:  # whatever the store raised: the budgets fail open
            # A budget lost is a budget full again (ADR 0016): the store of the budgets being
            # down is no reason to refuse the sale's buyers.
            self._metrics.unchecked.inc()
            if self._metrics.count(self._metrics.unchecked) % 1000 == 1:
                log.warning("request budgets not checked: %s", type(error).__name__)
            return
        if wait_us:
            per, _, budget = spent[refused]
            self._metrics.refused.labels(group.value, per).inc()
            raise RateLimited(
                f"too many {group.value} requests from this {per} ({budget}); try again later",
                retry_after_seconds(wait_us),
            )

    def _queue_pass(
        self, connection: ASGIConnection[Any, Any, Any, Any], group: RouteGroup
    ) -> QueuePass | None:
        """Who the request's token speaks for, read where its route reads it (the stream: the
        query; the others: the header); none for a missing or invalid token (the route itself
        refuses those). Two tokens in the query are refused: the route would read another
        one than this."""
        if group is RouteGroup.STREAM:
            tokens = connection.query_params.getall("token", [])
            if len(tokens) > 1:
                raise InvalidToken("one queue token per request")
            token = tokens[0] if tokens else None
        else:
            token = connection.headers.get(QUEUE_TOKEN_HEADER)
        try:
            return self._tokens().verify(token)
        except InvalidToken:
            return None

    async def _resolve(self) -> RequestBudgets:
        self._resolved = await self._budgets()
        return self._resolved
