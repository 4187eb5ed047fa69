"""The durable record in PostgreSQL: events and reservations, written from the message stream."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, Final, LiteralString

from psycopg import sql

from ticketing_adapters.postgres.pool import Pool
from ticketing_adapters.postgres.precedence import collapse, moves_condition
from ticketing_core.changes import ChangeKind
from ticketing_core.codes import AccessCode, CodeUses
from ticketing_core.draw import commitment
from ticketing_core.errors import EventHasReservations
from ticketing_core.messages import (
    CodeUseMessage,
    DrawMessage,
    EventChangeMessage,
    Message,
    ReservationMessage,
)
from ticketing_core.model import Reservation, ReservationItem, ReservationStatus
from ticketing_core.settings import EventSettings


def _epoch_ms(column: LiteralString) -> LiteralString:
    # extract() answers numeric (exact) since PostgreSQL 14; stored times are whole milliseconds.
    return f"(extract(epoch FROM {column}) * 1000)::bigint"


_RESERVATION_COLUMNS: Final = (
    "reservation_id, event_id, user_id, quantity, status, "
    f"{_epoch_ms('created_at')}, {_epoch_ms('expires_at')}, {_epoch_ms('updated_at')}, items"
)

# The whole batch travels as one binary array per column (%b) and is expanded by unnest():
# a single statement and round trip. Measured on 10,000 rows: about 120 ms, against 150 ms
# with text arrays and 250 ms with executemany. A conflicting row is updated only by a move
# the core's precedence rule allows (the condition is generated from it, see precedence.py),
# so a status never moves backwards and a repeated message changes nothing.
_UPSERT: Final = sql.SQL("""
INSERT INTO reservations AS r (
    reservation_id, event_id, user_id, quantity, status,
    created_at, expires_at, updated_at, last_message_id, items
)
SELECT b.reservation_id, b.event_id, b.user_id, b.quantity, b.status,
       to_timestamp(b.created_ms / 1000.0),
       to_timestamp(b.expires_ms / 1000.0),
       to_timestamp(b.updated_ms / 1000.0),
       b.message_id, b.items::jsonb
FROM unnest(
    %b::text[], %b::text[], %b::text[], %b::int4[], %b::text[],
    %b::int8[], %b::int8[], %b::int8[], %b::text[], %b::text[]
) AS b(reservation_id, event_id, user_id, quantity, status,
       created_ms, expires_ms, updated_ms, message_id, items)
ON CONFLICT (reservation_id) DO UPDATE
    SET status = EXCLUDED.status,
        updated_at = EXCLUDED.updated_at,
        last_message_id = EXCLUDED.last_message_id
    WHERE {supersedes}
""").format(supersedes=moves_condition(sql.SQL("r.status"), sql.SQL("EXCLUDED.status")))

_SAVE_EVENT: Final = """
INSERT INTO events (
    event_id, name, total_seats, max_per_user, opens_at, admission_rate_per_second,
    max_active_users, admission_ttl_seconds, hold_ttl_seconds, presence_timeout_seconds,
    state, version, draw_at_opening, draw_seed, draw_commitment, entry_work_bits,
    entry_grant_required, categories, presale
) VALUES (
    %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::jsonb
)
ON CONFLICT (event_id) DO NOTHING
"""

# Each change once (its version is its key), and the events row moved to the newest version
# recorded: a change delivered late or twice never undoes a newer one.
_RECORD_CHANGES: Final = """
INSERT INTO event_changes AS c (
    event_id, version, kind, detail, actor, occurred_at, settings, message_id
)
SELECT b.event_id, b.version, b.kind, b.detail::jsonb, b.actor,
       to_timestamp(b.occurred_ms / 1000.0), b.settings::jsonb, b.message_id
FROM unnest(
    %b::text[], %b::int4[], %b::text[], %b::text[], %b::text[], %b::int8[], %b::text[],
    %b::text[]
) AS b(event_id, version, kind, detail, actor, occurred_ms, settings, message_id)
ORDER BY b.event_id, b.version
ON CONFLICT (event_id, version) DO NOTHING
"""

_FOLLOW_NEWEST_CHANGE: Final = """
UPDATE events AS e
SET name = s.name, total_seats = s.total_seats,
    admission_rate_per_second = s.admission_rate_per_second,
    max_active_users = s.max_active_users, admission_ttl_seconds = s.admission_ttl_seconds,
    hold_ttl_seconds = s.hold_ttl_seconds, presence_timeout_seconds = s.presence_timeout_seconds,
    entry_work_bits = COALESCE(s.entry_work_bits, e.entry_work_bits),
    categories = s.categories, state = s.state, version = s.version
FROM jsonb_to_record(%s::jsonb) AS s(
    name text, total_seats integer, admission_rate_per_second integer,
    max_active_users integer, admission_ttl_seconds integer, hold_ttl_seconds integer,
    presence_timeout_seconds integer, entry_work_bits integer, categories jsonb, state text,
    version integer
)
WHERE e.event_id = %s AND e.version < s.version
"""

_RECORD_DRAW: Final = """
INSERT INTO draws (event_id, part, parts, first_position, users, occurred_at, message_id)
VALUES (%s, %s, %s, %s, %s, to_timestamp(%s / 1000.0), %s)
ON CONFLICT (event_id, part) DO NOTHING
"""

_SAVE_CODES: Final = """
INSERT INTO access_codes (event_id, digest, max_uses, categories)
SELECT %s, b.digest, b.max_uses, b.categories::jsonb
FROM unnest(%b::text[], %b::int4[], %b::text[])
    WITH ORDINALITY AS b(digest, max_uses, categories, n)
ORDER BY b.n
ON CONFLICT (event_id, digest) DO NOTHING
RETURNING digest
"""

_RECORD_CODE_USES: Final = """
INSERT INTO access_code_uses (message_id, event_id, digest, user_id, use, used_at)
SELECT b.message_id, b.event_id, b.digest, b.user_id, b.use, to_timestamp(b.at / 1000.0)
FROM unnest(%b::text[], %b::text[], %b::text[], %b::text[], %b::int4[], %b::int8[])
    AS b(message_id, event_id, digest, user_id, use, at)
ON CONFLICT (message_id) DO NOTHING
"""

_CODES_OF: Final = """
SELECT c.digest, c.max_uses, c.categories, count(u.message_id)
FROM access_codes AS c
LEFT JOIN access_code_uses AS u ON u.event_id = c.event_id AND u.digest = c.digest
WHERE c.event_id = %s
GROUP BY c.digest, c.max_uses, c.categories, c.issued
ORDER BY c.issued
"""

_DRAW_OF: Final = f"""
SELECT part, parts, first_position, users, {_epoch_ms("occurred_at")}
FROM draws WHERE event_id = %s ORDER BY part
"""

_CHANGES_OF: Final = f"""
SELECT kind, detail, actor, {_epoch_ms("occurred_at")}, settings
FROM event_changes WHERE event_id = %s ORDER BY version
"""

# Checked in the statement itself, not before it: no reservation row can slip in between (and
# one inserted concurrently fails the delete on the foreign key rather than lose its event).
_DELETE_EVENT_NEVER_RESERVED: Final = """
DELETE FROM events AS e
WHERE e.event_id = %s
  AND NOT EXISTS (SELECT 1 FROM reservations AS r WHERE r.event_id = e.event_id)
RETURNING e.event_id
"""

_EVENT: Final = """
SELECT event_id, name, total_seats, max_per_user, opens_at, admission_rate_per_second,
       max_active_users, admission_ttl_seconds, hold_ttl_seconds, presence_timeout_seconds,
       state, version, draw_at_opening, draw_seed, entry_work_bits, entry_grant_required,
       categories, presale
FROM events WHERE event_id = %s
"""


class PostgresReservationRepository:
    """``ReservationRepository`` on a psycopg 3 pool; the caller opens and closes the pool."""

    def __init__(self, pool: Pool) -> None:
        self._pool = pool

    async def ping(self) -> None:
        """Returns when PostgreSQL answers; raises otherwise (a health probe)."""
        async with self._pool.connection() as connection:
            await connection.execute("SELECT 1")

    async def save_event(self, settings: EventSettings) -> None:
        """Idempotent: an event already recorded keeps its row (changes come as messages)."""
        async with self._pool.connection() as connection:
            await connection.execute(
                _SAVE_EVENT,
                (
                    settings.event_id,
                    settings.name,
                    settings.total_seats,
                    settings.max_per_user,
                    settings.opens_at,
                    settings.admission_rate_per_second,
                    settings.max_active_users,
                    settings.admission_ttl_seconds,
                    settings.hold_ttl_seconds,
                    settings.presence_timeout_seconds,
                    settings.state.value,
                    settings.version,
                    settings.draw_at_opening,
                    settings.draw_seed,
                    commitment(settings.draw_seed) if settings.draw_seed else None,
                    settings.entry_work_bits,
                    settings.entry_grant_required,
                    _categories_json(settings),
                    None if settings.presale is None else settings.presale.model_dump_json(),
                ),
            )

    async def delete_event(self, event_id: str) -> bool:
        """Removes the event's row unless a reservation row refers to it (then raises
        ``EventHasReservations``, nothing removed); False when there is no such row."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute(_DELETE_EVENT_NEVER_RESERVED, (event_id,))
            if await cursor.fetchone() is not None:
                return True
            cursor = await connection.execute(
                "SELECT 1 FROM events WHERE event_id = %s", (event_id,)
            )
            if await cursor.fetchone() is None:
                return False
        raise EventHasReservations(f"reservations of event {event_id} are recorded")

    async def event(self, event_id: str) -> EventSettings | None:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(_EVENT, (event_id,))
            row = await cursor.fetchone()
        if row is None:
            return None
        fields = (
            "event_id", "name", "total_seats", "max_per_user", "opens_at",
            "admission_rate_per_second", "max_active_users", "admission_ttl_seconds",
            "hold_ttl_seconds", "presence_timeout_seconds", "state", "version",
            "draw_at_opening", "draw_seed", "entry_work_bits", "entry_grant_required",
            "categories", "presale",
        )  # fmt: skip
        return EventSettings.model_validate(dict(zip(fields, row, strict=True)))

    async def apply(self, messages: Sequence[Message]) -> None:
        """Writes the whole batch in one transaction (the pool's connection block commits)."""
        changes = sorted(
            (m for m in messages if isinstance(m, EventChangeMessage)),
            key=lambda m: (m.event_id, m.version),
        )
        winners = collapse(m for m in messages if isinstance(m, ReservationMessage))
        draws = sorted(
            (m for m in messages if isinstance(m, DrawMessage)), key=lambda m: (m.event_id, m.part)
        )
        uses = [m for m in messages if isinstance(m, CodeUseMessage)]
        async with self._pool.connection() as connection:
            if winners:
                await connection.execute(_UPSERT, _reservation_columns(winners))
            if uses:
                await connection.execute(
                    _RECORD_CODE_USES,
                    (
                        [u.message_id for u in uses],
                        [u.event_id for u in uses],
                        [u.digest for u in uses],
                        [u.user_id for u in uses],
                        [u.use for u in uses],
                        [u.occurred_at for u in uses],
                    ),
                )
            for draw in draws:  # once per sale, a part per thousand entrants: no batching
                await connection.execute(
                    _RECORD_DRAW,
                    (
                        draw.event_id,
                        draw.part,
                        draw.parts,
                        draw.first_position,
                        list(draw.users),
                        draw.occurred_at,
                        draw.message_id,
                    ),
                )
            if changes:
                await connection.execute(_RECORD_CHANGES, _change_columns(changes))
                newest = {change.event_id: change for change in changes}  # sorted: last wins
                for change in newest.values():
                    await connection.execute(
                        _FOLLOW_NEWEST_CHANGE,
                        (change.settings.model_dump_json(), change.event_id),
                    )

    async def draw_of(self, event_id: str) -> list[DrawMessage]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(_DRAW_OF, (event_id,))
            rows = await cursor.fetchall()
        return [
            DrawMessage.of(event_id, _int(part), _int(parts), _int(first), tuple(users), _int(at))
            for part, parts, first, users, at in rows
        ]

    async def save_codes(self, event_id: str, codes: Sequence[AccessCode]) -> list[str]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                _SAVE_CODES,
                (
                    event_id,
                    [c.digest for c in codes],
                    [c.max_uses for c in codes],
                    [None if c.categories is None else json.dumps(c.categories) for c in codes],
                ),
            )
            rows = await cursor.fetchall()
        return [str(digest) for (digest,) in rows]

    async def forget_codes(self, event_id: str, digests: Sequence[str]) -> None:
        async with self._pool.connection() as connection:
            await connection.execute(
                "DELETE FROM access_codes WHERE event_id = %s AND digest = ANY(%s)",
                (event_id, list(digests)),
            )

    async def codes_of(self, event_id: str) -> list[CodeUses]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(_CODES_OF, (event_id,))
            rows = await cursor.fetchall()
        return [
            CodeUses(
                AccessCode(str(digest), _int(max_uses), None if cats is None else tuple(cats)),
                _int(uses),
            )
            for digest, max_uses, cats, uses in rows
        ]

    async def published_commitment(self, event_id: str) -> str | None:
        """The draw's commitment as recorded when the sale was created (None: no draw)."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                "SELECT draw_commitment FROM events WHERE event_id = %s", (event_id,)
            )
            row = await cursor.fetchone()
        return None if row is None or row[0] is None else str(row[0])

    async def changes_of(self, event_id: str) -> list[EventChangeMessage]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(_CHANGES_OF, (event_id,))
            rows = await cursor.fetchall()
        return [
            EventChangeMessage.of(
                ChangeKind(str(kind)),
                tuple(_detail(detail).items()),
                str(actor),
                _int(occurred_at),
                EventSettings.model_validate(settings),
            )
            for kind, detail, actor, occurred_at, settings in rows
        ]

    async def get(self, reservation_id: str) -> Reservation | None:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                f"SELECT {_RESERVATION_COLUMNS} FROM reservations WHERE reservation_id = %s",
                (reservation_id,),
            )
            row = await cursor.fetchone()
        return _reservation(row) if row else None

    async def reservations_of(self, event_id: str) -> list[Reservation]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                f"SELECT {_RESERVATION_COLUMNS} FROM reservations WHERE event_id = %s "
                "ORDER BY created_at, reservation_id",
                (event_id,),
            )
            rows = await cursor.fetchall()
        return [_reservation(row) for row in rows]

    async def seats_by_status(self, event_id: str) -> dict[ReservationStatus, int]:
        """Seats of the event's reservations per status (every status present, 0 if none)."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                "SELECT status, sum(quantity) FROM reservations WHERE event_id = %s "
                "GROUP BY status",
                (event_id,),
            )
            rows = await cursor.fetchall()
        seats = dict.fromkeys(ReservationStatus, 0)
        for status, total in rows:
            seats[ReservationStatus(status)] = int(total)
        return seats

    async def category_seats_by_status(
        self, event_id: str
    ) -> dict[tuple[str, ReservationStatus], int]:
        """Seats of the event's reservations per seat category and status (none without)."""
        async with self._pool.connection() as connection:
            cursor = await connection.execute(
                "SELECT item->>'categoryId', status, sum((item->>'quantity')::int) "
                "FROM reservations, jsonb_array_elements(items) AS item "
                "WHERE event_id = %s AND items IS NOT NULL GROUP BY 1, 2",
                (event_id,),
            )
            rows = await cursor.fetchall()
        return {
            (str(category), ReservationStatus(status)): int(total)
            for category, status, total in rows
        }


def _reservation_columns(winners: Sequence[ReservationMessage]) -> tuple[list[Any], ...]:
    reservations = [message.reservation for message in winners]
    return (
        [r.reservation_id for r in reservations],
        [r.event_id for r in reservations],
        [r.user_id for r in reservations],
        [r.quantity for r in reservations],
        [r.status.value for r in reservations],
        [r.created_at for r in reservations],
        [r.expires_at for r in reservations],
        [r.updated_at for r in reservations],
        [message.message_id for message in winners],
        [_items_json(r.items) for r in reservations],
    )


def _items_json(items: Sequence[ReservationItem]) -> str | None:
    if not items:
        return None
    return json.dumps([{"categoryId": i.category_id, "quantity": i.quantity} for i in items])


def _categories_json(settings: EventSettings) -> str | None:
    if settings.categories is None:
        return None
    return json.dumps([c.model_dump(mode="json") for c in settings.categories])


def _change_columns(changes: Sequence[EventChangeMessage]) -> tuple[list[Any], ...]:
    return (
        [c.event_id for c in changes],
        [c.version for c in changes],
        [c.kind.value for c in changes],
        [json.dumps(dict(c.detail)) for c in changes],
        [c.actor for c in changes],
        [c.occurred_at for c in changes],
        [c.settings.model_dump_json() for c in changes],
        [c.message_id for c in changes],
    )


def _detail(value: object) -> dict[str, int | str]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a JSON object from PostgreSQL, got {value!r}")
    return value


def _reservation(row: tuple[object, ...]) -> Reservation:
    reservation_id, event_id, user_id, quantity, status, created, expires, updated, items = row
    return Reservation(
        reservation_id=str(reservation_id),
        event_id=str(event_id),
        user_id=str(user_id),
        quantity=_int(quantity),
        status=ReservationStatus(str(status)),
        created_at=_int(created),
        expires_at=_int(expires),
        updated_at=_int(updated),
        items=_items(items),
    )


def _items(value: object) -> tuple[ReservationItem, ...]:
    if value is None:
        return ()
    if not isinstance(value, list):
        raise TypeError(f"expected a JSON array of items from PostgreSQL, got {value!r}")
    return tuple(ReservationItem(str(i["categoryId"]), _int(i["quantity"])) for i in value)


def _int(value: object) -> int:
    if not isinstance(value, int):
        raise TypeError(f"expected an integer column, got {value!r}")
    return value
