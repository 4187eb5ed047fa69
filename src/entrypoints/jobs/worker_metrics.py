"""What the consumer worker tells Prometheus (SPEC section 6), on its own small HTTP endpoint.

The numbers are the worker's own counters, read when scraped (from the endpoint's thread):
nothing is counted twice and the batch loop pays nothing for them.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, start_http_server
from prometheus_client.metrics_core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from ticketing_entrypoints.jobs.worker import WorkerCounters
from ticketing_entrypoints.metrics import metrics_registry


class WorkerCollector(Collector):
    def __init__(self, counters: WorkerCounters) -> None:
        self._counters = counters

    def collect(self) -> Iterator[Metric]:
        counters = self._counters
        yield CounterMetricFamily(
            "messages_consumed",
            "Records read from the reservation stream (a redelivered record counts again)",
            value=counters.records,
        )
        yield CounterMetricFamily(
            "messages_stored",
            "Messages stored in PostgreSQL (a repeat of a stored message changes nothing)",
            value=counters.stored,
        )
        yield CounterMetricFamily(
            "messages_dead_lettered",
            "Records sent to the dead-letter topic",
            value=counters.dead_lettered,
        )
        lag = GaugeMetricFamily(
            "consumer_lag_messages",
            "Records of this worker's partitions not read yet (high watermark - position)",
            labels=["topic"],
        )
        for topic, behind in counters.lag.items():
            lag.add_metric([topic], behind)
        yield lag


def worker_registry(counters: WorkerCounters) -> CollectorRegistry:
    registry = metrics_registry()
    registry.register(WorkerCollector(counters))
    return registry


@contextmanager
def metrics_endpoint(registry: CollectorRegistry, host: str, port: int) -> Iterator[None]:
    """``/metrics`` on ``host:port`` (a thread of its own) for the length of the block."""
    server, thread = start_http_server(port, addr=host, registry=registry)
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
