"""The counters of what the limits against bots did (``/metrics``)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter


class LimitMetrics:
    """What the limits did, for operators: never by address (that would be one series per
    client), by route group and by which budget refused."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.refused = Counter(
            "http_requests_limited",
            "Requests refused with 429 for a spent request budget or too many open streams",
            ("group", "per"),
            registry=registry,
        )
        self.unchecked = Counter(
            "http_requests_limits_unchecked",
            "Requests let through unchecked because the store of the budgets did not answer",
            registry=registry,
        )
        self.challenges_issued = Counter(
            "entry_challenges_issued",
            "Entry challenges (proof of work) handed out",
            registry=registry,
        )
        self.challenges_solved = Counter(
            "entry_challenges_solved",
            "Entries admitted with a solved challenge",
            registry=registry,
        )
        self.streams_replaced = Counter(
            "queue_streams_replaced",
            "Position streams closed because their token opened one more than allowed",
            registry=registry,
        )

    def refused_by_group(self) -> dict[str, int]:
        """Requests refused so far by this process, by route group."""
        counts: dict[str, int] = {}
        for metric in self.refused.collect():
            for sample in metric.samples:
                if sample.name.endswith("_total"):
                    group = sample.labels["group"]
                    counts[group] = counts.get(group, 0) + int(sample.value)
        return counts

    @staticmethod
    def count(counter: Counter) -> int:
        return int(
            sum(s.value for m in counter.collect() for s in m.samples if s.name.endswith("_total"))
        )
