"""ticketing_core: the pure domain of a flash-sale ticketing system.

Queue, stock and reservation rules (``SaleState``), the application service
(``TicketingService``), the ports adapters implement, and the messages they exchange. Nothing
here performs I/O; adapters live in the ``adapters`` package.
"""

from ticketing_core.clock import Clock, ManualClock, SystemClock
from ticketing_core.errors import (
    DomainError,
    EventExists,
    EventHasReservations,
    EventNotFound,
    HoldExpired,
    InsufficientSeats,
    InvalidInput,
    InvalidState,
    LimitExceeded,
    NotAdmitted,
    NotInQueue,
    ReservationNotFound,
    SoldOut,
)
from ticketing_core.messages import MessageType, ReservationMessage
from ticketing_core.model import (
    AdmissionReport,
    EventStats,
    QueueSnapshot,
    QueueStatus,
    QueueView,
    Reservation,
    ReservationStatus,
    StockStats,
)
from ticketing_core.ports import (
    EventBus,
    EventCatalog,
    Outbox,
    OutboxEntry,
    QueueStore,
    ReservationRepository,
    StockStore,
)
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService, TickReport
from ticketing_core.settings import EventSettings

__all__ = [
    "AdmissionReport",
    "Clock",
    "DomainError",
    "EventBus",
    "EventCatalog",
    "EventExists",
    "EventHasReservations",
    "EventNotFound",
    "EventSettings",
    "EventStats",
    "HoldExpired",
    "InsufficientSeats",
    "InvalidInput",
    "InvalidState",
    "LimitExceeded",
    "ManualClock",
    "MessageType",
    "NotAdmitted",
    "NotInQueue",
    "Outbox",
    "OutboxEntry",
    "OutboxRelay",
    "QueueSnapshot",
    "QueueStatus",
    "QueueStore",
    "QueueView",
    "Reservation",
    "ReservationMessage",
    "ReservationNotFound",
    "ReservationRepository",
    "ReservationStatus",
    "SoldOut",
    "StockStats",
    "StockStore",
    "SystemClock",
    "TickReport",
    "TicketingService",
]
