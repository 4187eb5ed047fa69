"""Background jobs: what runs between requests (ticks, relay, gauges) and the consumer worker."""
