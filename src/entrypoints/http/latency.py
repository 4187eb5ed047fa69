"""Request latency per route, as a Prometheus histogram, at a cost the hot path can carry.

Labels: the route template (``/api/v1/tickets/{reservation_id:str}``, never the raw path),
the method and the status class (``2xx``). The time is taken when the response starts, so a
position stream counts its time to the first byte, not its whole life.

prometheus_client's ``Histogram`` takes a lock per bucket it touches and validates labels on
every ``labels()`` call; one request of the API runs on one event loop thread, so the counts
here are plain lists, found by a dict lookup and a bisection, and turned into a histogram
only when scraped (on the same loop).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterator
from time import perf_counter

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, Scope, Send
from prometheus_client import CollectorRegistry
from prometheus_client.metrics_core import HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
"""Seconds. A reserve takes about a millisecond unloaded; 250 ms is the target under load."""
_LABELS = ("method", "route", "status")
_STATUS_CLASSES = {hundreds: f"{hundreds}xx" for hundreds in range(1, 6)}


class _Series:
    __slots__ = ("counts", "sum")

    def __init__(self) -> None:
        self.counts = [0] * (len(BUCKETS) + 1)  # the last one is +Inf
        self.sum = 0.0


class RequestLatency(Collector):
    def __init__(self, registry: CollectorRegistry) -> None:
        self._series: dict[tuple[str, str, str], _Series] = {}
        registry.register(self)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        key = (method, route, _STATUS_CLASSES.get(status // 100, "other"))
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = _Series()
        series.counts[bisect_left(BUCKETS, seconds)] += 1
        series.sum += seconds

    def middleware(self, app: ASGIApp) -> ASGIApp:
        """Litestar middleware (it wraps each route's handler, so the route is known)."""
        observe = self.observe

        async def timed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            started = perf_counter()

            async def send_timed(message: Message) -> None:
                if message["type"] == "http.response.start":
                    route = scope.get("path_template") or "unrouted"
                    observe(scope["method"], route, message["status"], perf_counter() - started)
                await send(message)

            await app(scope, receive, send_timed)

        return timed

    def collect(self) -> Iterator[Metric]:
        family = HistogramMetricFamily(
            "http_request_duration_seconds",
            "Time from a request's arrival at its route to the start of its response",
            labels=_LABELS,
        )
        for labels, series in list(self._series.items()):
            cumulative, buckets = 0, []
            for bound, count in zip((*BUCKETS, float("inf")), series.counts, strict=True):
                cumulative += count
                buckets.append(("+Inf" if bound == float("inf") else str(bound), float(cumulative)))
            family.add_metric(list(labels), buckets, series.sum)
        yield family
