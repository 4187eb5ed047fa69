"""Wire schemas of API v1: camelCase JSON, separate from the domain's types (see ``mapping``).

Bounds repeat SPEC section 4 so that the OpenAPI document states them; the domain checks them
again when it builds ``EventSettings``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from ticketing_core.codes import ACCESS_CODE, MAX_CODE_USES, MAX_CODES_PER_CALL
from ticketing_core.settings import (
    CATEGORY_ID,
    EVENT_ID,
    MAX_CATEGORIES,
    MAX_ENTRY_WORK_BITS,
    OPENING_PATTERN,
    USER_ID,
    IdSyntax,
)


def _id(syntax: IdSyntax, example: str) -> msgspec.Meta:
    """Checked by full match; documented in JSON Schema's own dialect (``IdSyntax``)."""
    return msgspec.Meta(
        pattern=syntax.python_pattern,
        examples=[example],
        extra_json_schema={"extra": {"pattern": syntax.json_schema_pattern}},
    )


EventId = Annotated[str, _id(EVENT_ID, "concert-2025-06-01")]
UserId = Annotated[str, _id(USER_ID, "alice@example.com")]
CategoryId = Annotated[str, _id(CATEGORY_ID, "floor")]
Opening = Annotated[
    datetime,
    msgspec.Meta(
        tz=True,
        description="RFC 3339 with an offset; a year from 2000 to 9998 as written",
        extra_json_schema={"extra": {"pattern": OPENING_PATTERN}},
    ),
]
QueueStatusName = Literal[
    "WAITING", "ADMITTED", "COMPLETED", "EXPIRED", "SOLD_OUT", "CLOSED", "ABANDONED"
]
EventStateName = Literal["OPEN", "PAUSED", "CLOSED"]
ReservationStatusName = Literal["PENDING", "CONFIRMED", "CANCELLED", "EXPIRED"]


class Wire(msgspec.Struct, rename="camel"):
    """Base of every body: camelCase names on the wire."""


class SeatCategory(Wire, kw_only=True, omit_defaults=True):
    """One kind of seat (floor, stands, VIP) with its own seats and per-user limit."""

    category_id: CategoryId
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    # Litestar drops a falsy bound (ge=0) from the document: restated.
    seats: Annotated[
        int, msgspec.Meta(ge=0, le=10_000_000, extra_json_schema={"extra": {"minimum": 0}})
    ]
    max_per_user: Annotated[int, msgspec.Meta(ge=1, le=100)] = 1
    price: (
        Annotated[
            int,
            msgspec.Meta(
                ge=0,
                le=10**12,
                description="In the currency's minor units (cents), for the pages to show",
                extra_json_schema={"extra": {"minimum": 0}},
            ),
        ]
        | None
    ) = None


class Presale(Wire, kw_only=True):
    """Before the general `opensAt`: only buyers with an access code enter (from the sale's
    creation), and they are admitted from `opensAt` until `closesAt`; whoever of them still
    waits then is served first at the general opening. Others enter from `closesAt` on."""

    opens_at: Opening
    closes_at: Opening


class NewEvent(Wire, kw_only=True):
    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    total_seats: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=10_000_000,
                description="Required without `categories`; with them, their seats' sum "
                "(may be left out)",
            ),
        ]
        | None
    ) = None
    event_id: EventId | None = None
    max_per_user: (
        Annotated[
            int,
            msgspec.Meta(
                ge=1,
                le=100,
                description="Seats one user may hold in the whole sale: 1 unless given; with "
                "`categories`, the sum of theirs (at most 100) unless given",
            ),
        ]
        | None
    ) = None
    categories: (
        Annotated[
            list[SeatCategory],
            msgspec.Meta(
                min_length=1,
                max_length=MAX_CATEGORIES,
                description="Seat categories, each with its own seats and per-user limit; a "
                "reserve then names the category (or several, `items`). Absent: one kind of "
                "seat, `totalSeats` of them",
            ),
        ]
        | None
    ) = None
    opens_at: Opening | None = None
    admission_rate_per_second: Annotated[int, msgspec.Meta(ge=1, le=100_000)] = 100
    max_active_users: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] = 5_000
    admission_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 300
    hold_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] = 600
    presence_timeout_seconds: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=86_400,
            description="A waiting buyer keeps the place while seen (an open stream, a status "
            "read) within this long; one absent when their turn comes is skipped "
            "(`ABANDONED`). 0: off",
        ),
    ] = 300
    draw_at_opening: Annotated[
        bool,
        msgspec.Meta(
            description="Everyone who enters before `opensAt` is put in a random order at the "
            "opening (who comes after joins behind, in order of entry). The event publishes "
            "`drawCommitment` (SHA-256 of the secret seed) now and `drawSeed` once drawn: "
            "anyone can then recompute the order (`ticketing verify-draw`)"
        ),
    ] = False
    entry_work_bits: Annotated[
        int,
        msgspec.Meta(
            ge=0,
            le=MAX_ENTRY_WORK_BITS,
            description="Each entry must bring a solved challenge (`POST /api/v1/queue/"
            "challenge`): a nonce such that SHA-256(challenge || nonce) starts with this many "
            "zero bits. 0: none. A bit doubles the work (docs/adr/0016)",
        ),
    ] = 0
    entry_grant_required: Annotated[
        bool,
        msgspec.Meta(
            description="Each entry must bring an `entryGrant`: a JWT (HS256) the operator's "
            "site signs with the sale's grant key (`GET /api/v1/events/{eventId}/"
            "entry-grant-key`), with claims `sub` (the user id), `evt` (the event id), `exp`"
        ),
    ] = False
    presale: Presale | None = None
    """A window before `opensAt` for buyers with access codes (`POST .../codes`); it closes
    by `opensAt`. Not with `drawAtOpening`."""


class EventChanges(Wire, kw_only=True):
    """The settings an operator may change while the sale runs (none named: nothing
    changes). New values apply to admissions and holds made after the change. Other fields
    are ignored, as in every body, but the event's own that cannot change this way
    (``FIXED_EVENT_FIELDS``) are refused: an operator who sends one expects it to change."""

    name: Annotated[str, msgspec.Meta(min_length=1, max_length=200)] | None = None
    admission_rate_per_second: Annotated[int, msgspec.Meta(ge=1, le=100_000)] | None = None
    max_active_users: Annotated[int, msgspec.Meta(ge=1, le=1_000_000)] | None = None
    admission_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None
    hold_ttl_seconds: Annotated[int, msgspec.Meta(ge=1, le=86_400)] | None = None
    # Litestar drops a falsy bound (ge=0) of an optional field from the document: restated.
    presence_timeout_seconds: (
        Annotated[int, msgspec.Meta(ge=0, le=86_400, extra_json_schema={"extra": {"minimum": 0}})]
        | None
    ) = None
    entry_work_bits: (
        Annotated[
            int,
            msgspec.Meta(ge=0, le=MAX_ENTRY_WORK_BITS, extra_json_schema={"extra": {"minimum": 0}}),
        ]
        | None
    ) = None


FIXED_EVENT_FIELDS = (
    "eventId", "totalSeats", "maxPerUser", "opensAt", "state", "drawAtOpening", "drawSeed",
    "drawCommitment", "entryGrantRequired", "categories", "presale",
)  # fmt: skip


class SeatChange(Wire, kw_only=True):
    delta: Annotated[
        int,
        msgspec.Meta(
            ge=-10_000_000,
            le=10_000_000,
            description="Seats put on sale (> 0) or withdrawn (< 0, only unsold ones)",
        ),
    ]
    category_id: (
        Annotated[
            str,
            msgspec.Meta(
                pattern=CATEGORY_ID.python_pattern,
                description="Required in a sale with categories: whose seats change",
                extra_json_schema={"extra": {"pattern": CATEGORY_ID.json_schema_pattern}},
            ),
        ]
        | None
    ) = None


class Event(Wire, kw_only=True, omit_defaults=True):
    event_id: str
    name: str
    total_seats: int
    max_per_user: int
    opens_at: datetime
    admission_rate_per_second: int
    max_active_users: int
    admission_ttl_seconds: int
    hold_ttl_seconds: int
    presence_timeout_seconds: int
    draw_at_opening: bool
    entry_work_bits: int
    entry_grant_required: bool
    state: EventStateName
    draw_commitment: str | None = None
    """With `drawAtOpening`: SHA-256 (hex) of the draw's seed, published from the start."""
    draw_seed: str | None = None
    """With `drawAtOpening`, once drawn (at the opening): the seed itself (64 hex digits)."""
    categories: list[SeatCategory] | None = None
    """The seat categories, if the sale has any (their seats move with seat changes)."""
    presale: Presale | None = None
    """The presale window, if the sale has one."""


ChangeKindName = Literal["settings", "pause", "resume", "close", "seats"]


class EventChange(Wire, kw_only=True):
    """One operator's change, as recorded: what was asked (`detail`: the settings named with
    their new values by their wire names, `delta` for seats, nothing for a pause, resume or
    close), who asked (`actor`: the `X-Operator` name if given, and the admin key's id),
    when, and the sale's state and seats after it."""

    version: int
    kind: ChangeKindName
    detail: dict[str, int | str]
    actor: str
    occurred_at: datetime
    state: EventStateName
    total_seats: int


class Operator(Wire, kw_only=True):
    actor: str
    """As the record of changes names the caller: the `X-Operator` name if given, and the
    admin key's id."""


class Refusals(Wire, kw_only=True):
    """What the limits against bots did in the API process that answers, since it started."""

    refused_by_group: dict[str, int]
    """Requests refused with 429, by route group (enter, read, hold, stream, admin)."""
    challenges_issued: int
    challenges_solved: int
    streams_replaced: int


class CategoryStats(Wire, kw_only=True):
    category_id: str
    remaining_seats: int
    pending_seats: int
    confirmed_seats: int
    sold_out: bool
    """No seat of it is left and none held can come back."""


class EventStats(Wire, kw_only=True, omit_defaults=True):
    remaining_seats: int
    waiting_users: int
    active_users: int
    pending_seats: int
    confirmed_seats: int
    abandoned_users: int
    """Waiting buyers skipped because they were absent when their turn came."""
    categories: list[CategoryStats] | None = None
    """Per seat category, in the sale's order, if it has any."""


class EventWithStats(Event, kw_only=True):
    stats: EventStats


CHALLENGE = IdSyntax(r"[0-9a-f]{32}\.[0-9]{1,16}\.[A-Za-z0-9_-]{43}")
NONCE = IdSyntax(r"[A-Za-z0-9_-]{1,64}")
GRANT = IdSyntax(r"[A-Za-z0-9_-]{1,1000}\.[A-Za-z0-9_-]{1,2000}\.[A-Za-z0-9_-]{1,200}")


class QueueEntry(Wire, kw_only=True):
    event_id: EventId
    user_id: UserId
    challenge: (
        Annotated[str, _id(CHALLENGE, "0f1e2d3c4b5a69788796a5b4c3d2e1f0.1767225600000.x")] | None
    ) = None
    """With a sale's `entryWorkBits`: a challenge of `POST /api/v1/queue/challenge`."""
    nonce: Annotated[str, _id(NONCE, "48213")] | None = None
    """With `challenge`: SHA-256(challenge || nonce) starts with `entryWorkBits` zero bits."""
    entry_grant: Annotated[str, _id(GRANT, "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.sig")] | None = (
        None
    )
    """With a sale's `entryGrantRequired`: the operator's signed grant naming the user."""
    access_code: AccessCodeText | None = None
    """Until a sale's presale closes: an access code with an entry left (each new place in
    the queue takes one). After it, none."""


AccessCodeText = Annotated[str, _id(ACCESS_CODE, "fanclub-2026-x7Qm")]


class ChallengeRequest(Wire):
    event_id: EventId


class EntryChallenge(Wire, kw_only=True):
    challenge: str
    """Good for one entry to this sale, until `expiresAt`."""
    work_bits: int
    """Find a nonce (1 to 64 of `A-Z a-z 0-9 _ -`) such that SHA-256 of the challenge
    followed by the nonce, as ASCII, starts with this many zero bits; 0: any nonce."""
    expires_at: datetime


class EntryGrantKey(Wire, kw_only=True):
    key: str
    """The HS256 key (as its text, used as the bytes of that text) that the operator's site
    signs this sale's entry grants with."""


class QueueTicket(Wire, kw_only=True, omit_defaults=True):
    token: str
    status: QueueStatusName
    position: int
    estimated_wait_seconds: int | None
    """None while the sale is paused."""
    paused: bool
    admission_expires_at: datetime | None = None
    """Only while ADMITTED."""
    draw_pending: bool = False
    """True (else absent) while waiting for a drawn pre-queue's opening: the order is decided
    then, so there is no position (0) and no estimate yet."""


Quantity = Annotated[int, msgspec.Meta(ge=1, le=100)]


class ReservationItem(Wire, kw_only=True):
    category_id: CategoryId
    quantity: Quantity


class ReserveRequest(Wire, kw_only=True):
    event_id: EventId
    quantity: (
        Annotated[
            int,
            msgspec.Meta(ge=1, le=100, description="Seats in all; may be left out with `items`"),
        ]
        | None
    ) = None
    category_id: CategoryId | None = None
    """In a sale with several seat categories: which one (or `items`)."""
    items: (
        Annotated[
            list[ReservationItem],
            msgspec.Meta(
                min_length=1,
                max_length=MAX_CATEGORIES,
                description="Seats of several categories at once, all or nothing",
            ),
        ]
        | None
    ) = None


class Hold(Wire, kw_only=True, omit_defaults=True):
    """What a reserve answers: the new hold, PENDING until confirmed, cancelled or expired."""

    reservation_id: str
    status: ReservationStatusName
    quantity: int
    expires_at: datetime
    items: list[ReservationItem] | None = None
    """Its seats per category, in a sale with seat categories."""


class Reservation(Wire, kw_only=True, omit_defaults=True):
    reservation_id: str
    event_id: str
    user_id: str
    quantity: int
    status: ReservationStatusName
    created_at: datetime
    expires_at: datetime
    items: list[ReservationItem] | None = None
    """Its seats per category, in a sale with seat categories."""


class NewCodes(Wire, kw_only=True):
    """Access codes for the presale: `count` made here (22 random characters each), or
    `codes` as the operator wrote them (8..64 of `A-Z a-z 0-9 _ -`; as long as a made one, or
    they may be guessed)."""

    max_uses: Annotated[
        int, msgspec.Meta(ge=1, le=MAX_CODE_USES, description="Entries each code lets in")
    ]
    count: Annotated[int, msgspec.Meta(ge=1, le=MAX_CODES_PER_CALL)] | None = None
    codes: (
        Annotated[list[AccessCodeText], msgspec.Meta(min_length=1, max_length=MAX_CODES_PER_CALL)]
        | None
    ) = None
    categories: (
        Annotated[list[CategoryId], msgspec.Meta(min_length=1, max_length=MAX_CATEGORIES)] | None
    ) = None
    """The seat categories its buyers may hold (absent: any)."""


class IssuedCode(Wire, kw_only=True, omit_defaults=True):
    code: str
    """The code itself: shown this once, stored only as its SHA-256."""
    code_id: str
    max_uses: int
    categories: list[str] | None = None


class IssuedCodes(Wire, kw_only=True):
    codes: list[IssuedCode]


class CodeUsage(Wire, kw_only=True, omit_defaults=True):
    code_id: str
    """The first 12 hex digits of the code's SHA-256: never the code."""
    max_uses: int
    uses: int
    categories: list[str] | None = None


class Readiness(Wire, kw_only=True):
    ready: bool
    dependencies: dict[str, Literal["up", "down"]]


class Liveness(Wire):
    status: Literal["alive"] = "alive"
