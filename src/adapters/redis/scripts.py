"""The Lua scripts: which keys each one takes, how it is built and loaded, and how it is run.

Each script is built from the files in ``lua/``: a generated first line naming its KEYS
(``local K = {stock = KEYS[1], ...}``, in the order of ``SCRIPT_KEYS``, so the order is written
down once), ``lib.lua`` (the helpers the rules share), ``event_guard.lua`` for scripts on an
existing event, then the script's own file. ``Scripts.load`` sends them all with SCRIPT LOAD
when a client opens; after that they run by SHA (EVALSHA), and a server that lost them
(restart, SCRIPT FLUSH, failover) gets them again on the first NOSCRIPT (through redis-py's
``AsyncScript``, or ``Scripts`` itself on the pipelined connection).

A script refuses a request with the error reply ``"<code> <detail>"``; ``Scripts.run`` raises
the domain error of that code (``ERRORS_BY_CODE``) and lets any other Redis error through.
"""

from __future__ import annotations

from importlib.resources import files
from typing import Any, Literal

from redis.commands.core import AsyncScript
from redis.exceptions import ResponseError

from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import KEY_NAMES, KeyName, event_key
from ticketing_adapters.redis.pipelined import PipelinedConnection
from ticketing_core.errors import ERRORS_BY_CODE, DomainError

ScriptName = Literal[
    "add_event",
    "change_event",
    "enter",
    "status",
    "keep_present",
    "leave",
    "admit",
    "snapshot",
    "reserve",
    "confirm",
    "cancel",
    "expire_holds",
    "claim",
    "acknowledge",
    "archive",
    "remove_event",
    "restore",
    "add_codes",
    "spend_budget",
]

_HOLD_KEYS: tuple[KeyName, ...] = ("stock", "reservations", "holds", "held", "outbox")

SCRIPT_KEYS: dict[ScriptName, tuple[KeyName, ...]] = {
    "add_event": ("settings", "stock", "bucket", "outbox"),
    "change_event": ("settings", "stock", "outbox"),
    "enter": (
        "stock",
        "seq",
        "places",
        "waiting",
        "active",
        "seen",
        "codes",
        "code_of",
        "outbox",
    ),
    "status": ("stock", "places", "waiting", "active", "seen"),
    "keep_present": ("stock", "waiting", "seen"),
    "leave": ("stock", "places", "waiting", "gaps", "active", "seen", "drawing"),
    "admit": (
        "stock",
        "places",
        "waiting",
        "active",
        "bucket",
        "seen",
        "gaps",
        "outbox",
        "drawing",
    ),
    "snapshot": ("stock", "seq", "waiting", "gaps", "active"),
    "reserve": (
        "stock",
        "places",
        "active",
        "reservations",
        "holds",
        "held",
        "answers",
        "outbox",
        "code_of",
        "codes",
    ),
    "confirm": _HOLD_KEYS,
    "cancel": _HOLD_KEYS,
    "expire_holds": _HOLD_KEYS,
    "claim": ("outbox",),
    "acknowledge": ("outbox",),
    "archive": KEY_NAMES,
    "remove_event": KEY_NAMES,
    "restore": (
        "settings",
        "stock",
        "bucket",
        "reservations",
        "holds",
        "held",
        "outbox",
        "codes",
    ),
    "add_codes": ("stock", "codes"),
}
"""The keys each script on an event is given, in order. Every key it touches is among them."""

FREE_SCRIPT_KEYS: dict[ScriptName, tuple[str, ...]] = {
    "spend_budget": (),
}
"""Scripts on keys of no event (``run_on``), by the names their Lua gives the keys (none:
the script takes any number, from ``KEYS`` itself)."""

_WITHOUT_EVENT_GUARD: frozenset[ScriptName] = frozenset(
    {"add_event", "claim", "acknowledge", "restore", *FREE_SCRIPT_KEYS}
)


def lua_file(name: str) -> str:
    return (files("ticketing_adapters.redis") / "lua" / f"{name}.lua").read_text(encoding="utf-8")


def script_source(name: ScriptName) -> str:
    keys = SCRIPT_KEYS.get(name) or FREE_SCRIPT_KEYS[name]
    names = ", ".join(f"{key} = KEYS[{i}]" for i, key in enumerate(keys, start=1))
    # A script on no event's keys needs none of the event rules' helpers: it is spared
    # defining them on every call.
    parts = [f"local K = {{{names}}}"]
    if name not in FREE_SCRIPT_KEYS:
        parts.append(lua_file("lib"))
    if name not in _WITHOUT_EVENT_GUARD:
        parts.append(lua_file("event_guard"))
    parts.append(lua_file(name))
    return "\n".join(parts)


class Scripts:
    """Every script, registered on one client; run through ``pipelined`` when given (the
    standalone server's hot path, see ``ticketing_adapters.redis.pipelined``)."""

    def __init__(self, client: RedisClient, pipelined: PipelinedConnection | None = None) -> None:
        self._client = client
        self._pipelined = pipelined
        self._scripts: dict[ScriptName, AsyncScript] = {
            name: client.register_script(script_source(name))
            for name in (*SCRIPT_KEYS, *FREE_SCRIPT_KEYS)
        }

    async def load(self) -> None:
        """SCRIPT LOAD of every script (on Cluster: on every primary)."""
        for script in self._scripts.values():
            await self._client.script_load(script.script)

    async def run(self, name: ScriptName, event_id: str, *args: str | int) -> Any:
        """Runs the script on ``event_id``'s keys; a refusal raises its domain error."""
        return await self.run_on(
            name, [event_key(event_id, key) for key in SCRIPT_KEYS[name]], *args
        )

    async def run_on(self, name: ScriptName, keys: list[str], *args: str | int) -> Any:
        """Runs the script on ``keys`` as given (those of ``FREE_SCRIPT_KEYS``' scripts)."""
        try:
            if self._pipelined is None:
                return await self._scripts[name](keys=keys, args=args)
            return await self._run_pipelined(self._scripts[name], keys, args)
        except ResponseError as error:
            refusal = _refusal(error)
            if refusal is None:
                raise
            raise refusal from None

    async def _run_pipelined(
        self, script: AsyncScript, keys: list[str], args: tuple[str | int, ...]
    ) -> Any:
        assert self._pipelined is not None
        command = ("EVALSHA", script.sha, len(keys), *keys, *args)
        try:
            return await self._pipelined.execute(*command)
        except ResponseError as error:
            if not str(error).startswith("NOSCRIPT"):
                raise
        # The server lost its scripts (restart, SCRIPT FLUSH, failover): load it, run again.
        await self._client.script_load(script.script)
        return await self._pipelined.execute(*command)


def _refusal(error: ResponseError) -> DomainError | None:
    code, _, detail = str(error).partition(" ")
    kind = ERRORS_BY_CODE.get(code)
    return kind(detail) if kind is not None else None
