"""``/api/v1/operator``: who the admin key makes the caller, as the record of changes will
name them. The operator page checks a key with it before anything else."""

from __future__ import annotations

from litestar import Controller, get
from litestar.di import NamedDependency

from ticketing_entrypoints.http import schemas
from ticketing_entrypoints.http.dependencies import AdminAccess, Ticketing
from ticketing_entrypoints.http.limits import RouteGroup, limited
from ticketing_entrypoints.http.openapi import ADMIN, problems


class OperatorController(Controller):
    path = "/api/v1/operator"
    tags = ("events",)
    opt = limited(RouteGroup.ADMIN)

    @get(
        summary="Who the admin key (and X-Operator) make the caller",
        description="Answers 200 for the server's admin key, 401 for any other: a way to check "
        "a key before using it.",
        security=ADMIN,
        responses=problems({401: "`unauthorized`: the admin key is missing or wrong"}),
    )
    async def who_am_i(self, admin: NamedDependency[AdminAccess]) -> schemas.Operator:
        return schemas.Operator(actor=admin.actor)

    @get(
        "/refusals",
        summary="What the limits against bots refused, in the instance that answers",
        description="Counts since this API process started (each instance counts its own; "
        "`/metrics` has the same counters for a scraper to sum). The operator page shows the "
        "rate of refusals from two readings.",
        security=ADMIN,
        responses=problems({401: "`unauthorized`: the admin key is missing or wrong"}),
    )
    async def refusals(
        self, admin: NamedDependency[AdminAccess], ticketing: NamedDependency[Ticketing]
    ) -> schemas.Refusals:
        metrics = ticketing.limit_metrics
        refused = metrics.refused_by_group()
        return schemas.Refusals(
            refused_by_group={group.value: refused.get(group.value, 0) for group in RouteGroup},
            challenges_issued=metrics.count(metrics.challenges_issued),
            challenges_solved=metrics.count(metrics.challenges_solved),
            streams_replaced=metrics.count(metrics.streams_replaced),
        )
