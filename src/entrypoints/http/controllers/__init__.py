"""One controller per resource of API v1."""

from entrypoints.http.controllers.events import EventsController
from entrypoints.http.controllers.health import HealthController
from entrypoints.http.controllers.metrics import MetricsController
from entrypoints.http.controllers.queue import QueueController
from entrypoints.http.controllers.tickets import TicketsController

__all__ = [
    "EventsController",
    "HealthController",
    "MetricsController",
    "QueueController",
    "TicketsController",
]
