"""``/health``: liveness (the process answers) and readiness (its dependencies answer)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from typing import Literal

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from litestar.openapi import ResponseSpec

from ticketing_entrypoints.backends import HealthProbe
from ticketing_entrypoints.http import schemas

log = logging.getLogger(__name__)

PROBE_TIMEOUT_SECONDS = 2.0


class HealthController(Controller):
    path = "/health"
    tags = ("health",)

    @get("/live", summary="The process answers")
    async def live(self) -> schemas.Liveness:
        return schemas.Liveness()

    @get(
        "/ready",
        summary="Every dependency answers (200), or which ones do not (503)",
        responses={
            503: ResponseSpec(
                data_container=schemas.Readiness,
                description="A dependency is down; `dependencies` names it",
                generate_examples=False,
            )
        },
    )
    async def ready(
        self, probes: NamedDependency[Mapping[str, HealthProbe]]
    ) -> Response[schemas.Readiness]:
        states = await asyncio.gather(*(_state(name, probe) for name, probe in probes.items()))
        dependencies = dict(zip(probes, states, strict=True))
        ready = all(state == "up" for state in states)
        return Response(
            schemas.Readiness(ready=ready, dependencies=dependencies),
            status_code=200 if ready else 503,
        )


async def _state(name: str, probe: HealthProbe) -> Literal["up", "down"]:
    try:
        async with asyncio.timeout(PROBE_TIMEOUT_SECONDS):
            await probe()
    except Exception as error:
        log.warning("dependency %s is down: %r", name, error)
        return "down"
    return "up"
