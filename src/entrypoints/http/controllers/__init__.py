"""One controller per resource of API v1."""

from ticketing_entrypoints.http.controllers.codes import AccessCodesController
from ticketing_entrypoints.http.controllers.events import EventsController
from ticketing_entrypoints.http.controllers.health import HealthController
from ticketing_entrypoints.http.controllers.metrics import MetricsController
from ticketing_entrypoints.http.controllers.operator import OperatorController
from ticketing_entrypoints.http.controllers.queue import QueueController
from ticketing_entrypoints.http.controllers.tickets import TicketsController

__all__ = [
    "AccessCodesController",
    "EventsController",
    "HealthController",
    "MetricsController",
    "OperatorController",
    "QueueController",
    "TicketsController",
]
