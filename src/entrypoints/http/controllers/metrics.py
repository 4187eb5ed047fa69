"""``/metrics``: the Prometheus text exposition of this process's registry."""

from __future__ import annotations

from litestar import Controller, Response, get
from litestar.di import NamedDependency
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest


class MetricsController(Controller):
    path = "/metrics"
    tags = ("operations",)

    @get(summary="Prometheus metrics", media_type=CONTENT_TYPE_LATEST, sync_to_thread=False)
    def metrics(self, registry: NamedDependency[CollectorRegistry]) -> Response[bytes]:
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)
