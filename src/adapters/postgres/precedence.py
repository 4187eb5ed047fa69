"""The status precedence rule applied within one batch of messages.

One ``INSERT ... ON CONFLICT DO UPDATE`` may not touch the same row twice, so a batch is
collapsed to one message per reservation first, by the same rule the table enforces across
batches: a status never moves backwards (PENDING may give way to a terminal status, and the
first terminal status seen stays).
"""

from __future__ import annotations

from collections.abc import Iterable

from ticketing_core.messages import ReservationMessage


def collapse(messages: Iterable[ReservationMessage]) -> list[ReservationMessage]:
    """One message per reservation, the one that wins by precedence, ordered by reservation id.

    The order makes every transaction lock rows in the same sequence, so two workers that
    briefly see the same reservations (during a rebalance) cannot deadlock each other.
    """
    winners: dict[str, ReservationMessage] = {}
    for message in messages:
        known = winners.get(message.key)
        if known is None or (
            message.reservation.status.is_terminal and not known.reservation.status.is_terminal
        ):
            winners[message.key] = message
    return [winners[key] for key in sorted(winners)]
