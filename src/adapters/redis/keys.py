"""Where each piece of an event's hot state lives in Redis.

Every key of one event carries the hash tag ``{eventId}``, so Redis Cluster keeps them all in
one slot and a script may touch any of them. Event ids cannot contain braces (see
``EVENT_ID``), so the tag is exactly the id. The layout is described in
docs/adr/0003-redis-key-layout.md.
"""

from __future__ import annotations

from typing import Literal, get_args

KeyName = Literal[
    "settings",  # string: the event's settings as JSON
    "stock",  # hash: remaining, pending, confirmed seats (and "<counter>|<category>"); state; ...
    "seq",  # string: the last sequence number handed out by enter
    "places",  # hash: user -> "seq|STATUS|admission_expires_at"
    "waiting",  # sorted set: user scored by sequence number, in order of entry
    "gaps",  # sorted set: sequence numbers of users who left while waiting
    "seen",  # hash: waiting user -> when last seen (ms), for presence_timeout_seconds
    "active",  # sorted set: admitted user scored by admission expiry
    "bucket",  # hash: admission token bucket (tokens in thousandths, at = its time in ms)
    "reservations",  # hash: id -> "quantity|STATUS|created|expires|updated|user[|items]"
    "holds",  # sorted set: id of each PENDING reservation scored by its expiry
    "held",  # hash: user (and "<category>|<user>") -> seats their PENDING, CONFIRMED ones hold
    "answers",  # hash: (user, idempotency key) -> id of the reservation that key made
    "outbox",  # stream: reservation changes, operators' changes, draw parts; the relays' group
    "drawing",  # sorted set, while a pre-queue is drawn: "<sha1 key><user>", all score 0
    "codes",  # hash: access code digest -> "issued|max_uses|uses|categories"
    "code_of",  # hash: user -> digest of the access code their place came by (a presale's)
]
KEY_NAMES: tuple[KeyName, ...] = get_args(KeyName)

EVENTS_KEY = "ticketing:events"
"""Sorted set of every event id, scored by creation time. Outside any event's hash tag, so it
is written by its own command after the event's script (a script on Cluster may only touch
keys of one slot)."""

OUTBOX_GROUP = "relay"
"""The consumer group through which outbox relays read each event's outbox stream."""


def event_key(event_id: str, name: KeyName) -> str:
    return f"{{{event_id}}}:{name}"


def category_field(counter: str, category_id: str) -> str:
    """A seat category's counter in the stock hash, as ``lib.lua`` names it."""
    return f"{counter}|{category_id}"
