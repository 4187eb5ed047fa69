"""A drawn pre-queue checked from PostgreSQL alone: the seed against the commitment published
when the sale was created, and the recorded order against the order the draw's documented
function (``ticketing_core.draw``) gives for the same entrants and seed."""

from __future__ import annotations

from dataclasses import dataclass

from ticketing_adapters.postgres import PostgresReservationRepository
from ticketing_core.draw import commitment, drawn_order
from ticketing_core.errors import EventNotFound


class NotDrawn(Exception):
    """The sale draws no pre-queue, or its draw is not (wholly) recorded yet."""


@dataclass(frozen=True, slots=True)
class DrawVerdict:
    event_id: str
    entrants: int
    seed: str
    problems: tuple[str, ...]
    """Empty when the recorded order is the one the seed gives."""


async def verify_draw(event_id: str, record: PostgresReservationRepository) -> DrawVerdict:
    """Raises ``EventNotFound`` and ``NotDrawn``."""
    settings = await record.event(event_id)
    if settings is None:
        raise EventNotFound(f"PostgreSQL has no event {event_id!r}")
    if not settings.draw_at_opening or settings.draw_seed is None:
        raise NotDrawn(f"event {event_id!r} draws no pre-queue")
    parts = await record.draw_of(event_id)
    if not parts or [p.part for p in parts] != list(range(1, parts[0].parts + 1)):
        recorded = len(parts)
        raise NotDrawn(f"the draw of {event_id!r} is not recorded yet ({recorded} parts)")
    recorded_order = [user for part in parts for user in part.users]
    seed, problems = settings.draw_seed, []
    published = await record.published_commitment(event_id)
    if published != commitment(seed):
        problems.append(f"the seed's SHA-256 is {commitment(seed)}, the commitment {published}")
    if len(set(recorded_order)) != len(recorded_order):
        problems.append("an entrant appears twice in the recorded order")
        return DrawVerdict(event_id, len(recorded_order), seed, tuple(problems))
    expected = drawn_order(seed, recorded_order)
    for position, (found, meant) in enumerate(zip(recorded_order, expected, strict=True), 1):
        if found != meant:
            problems.append(f"position {position}: recorded {found!r}, the seed gives {meant!r}")
            break
    return DrawVerdict(event_id, len(recorded_order), seed, tuple(problems))
