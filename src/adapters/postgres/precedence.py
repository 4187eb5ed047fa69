"""The status precedence rule of the core (``ReservationStatus.supersedes``), as PostgreSQL
applies it: within one batch of messages, and in the upsert across batches.

One ``INSERT ... ON CONFLICT DO UPDATE`` may not touch the same row twice, so a batch is
collapsed to one message per reservation first; the upsert's condition then lets a stored row
take only the moves the rule allows. Both come from the core's rule, so the three places that
apply it (the memory record, the collapse, the SQL) cannot disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from psycopg import sql

from ticketing_core.messages import ReservationMessage
from ticketing_core.model import ReservationStatus

MOVES: Final[tuple[tuple[ReservationStatus, ReservationStatus], ...]] = tuple(
    (known, incoming)
    for known in ReservationStatus
    for incoming in ReservationStatus
    if incoming.supersedes(known)
)
"""Every (stored, incoming) pair of statuses in which the incoming one replaces the stored."""


def moves_condition(stored: sql.Composable, incoming: sql.Composable) -> sql.Composed:
    """The SQL condition "``incoming`` supersedes ``stored``" (two status columns), written
    out as the rule's table of allowed moves: ``(stored, incoming) IN (('PENDING', ...), ...)``.
    """
    pairs = sql.SQL(", ").join(
        sql.SQL("({}, {})").format(sql.Literal(known.value), sql.Literal(new.value))
        for known, new in MOVES
    )
    return sql.SQL("({}, {}) IN ({})").format(stored, incoming, pairs)


def collapse(messages: Iterable[ReservationMessage]) -> list[ReservationMessage]:
    """One message per reservation, the one that wins by precedence, ordered by reservation id.

    The order makes every transaction lock rows in the same sequence, so two workers that
    briefly see the same reservations (during a rebalance) cannot deadlock each other.
    """
    winners: dict[str, ReservationMessage] = {}
    for message in messages:
        known = winners.get(message.key)
        if known is None or message.reservation.status.supersedes(known.reservation.status):
            winners[message.key] = message
    return [winners[key] for key in sorted(winners)]
