"""One connection to a standalone Redis that pipelines every command the event loop sends.

Each command is written as soon as it is asked for and its reply is matched to the caller by
order (Redis answers each connection's commands in order), so a crowd of concurrent requests
shares one socket: one write and one read carry many commands. redis-py instead takes a
connection from its pool per command (a lock, a timeout, a retry wrapper, a write and a read
each): 43 us of this process's CPU per EVALSHA under 64 concurrent callers, against 7 us here,
and Redis itself spends less per command on fewer, fuller reads (5.3 against 7.2 us).

Used for the scripts of the hot path (``Scripts.run``) on a standalone server; a Cluster and
every other command keep redis-py. Replies are decoded as redis-py's clients here are
(``decode_responses``), and error replies raise redis-py's ``ResponseError`` with the same
text, so callers cannot tell the two apart.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any, cast

import hiredis
from redis.asyncio.connection import ConnectKwargs, parse_url
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError

Arg = str | int | bytes


def encode_command(args: tuple[Arg, ...]) -> bytes:
    """RESP: an array of bulk strings."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = arg if isinstance(arg, bytes) else str(arg).encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class _Protocol(asyncio.Protocol):
    """One connection's commands in flight, in the order sent, each with when it was sent.

    A watchdog looks at the oldest one every quarter of ``reply_timeout``: unanswered for
    longer, the connection is dropped and every command on it fails. (A timer per command
    cost 12-15 us of the API's CPU per request; this costs a clock reading.)
    """

    def __init__(self, reply_timeout: float) -> None:
        self._reader = hiredis.Reader(encoding="utf-8", replyError=ResponseError)
        self._waiting: deque[tuple[asyncio.Future[Any], float]] = deque()
        self._reply_timeout = reply_timeout
        self._loop = asyncio.get_running_loop()
        self._watchdog: asyncio.TimerHandle | None = None
        self.transport: asyncio.Transport | None = None
        self.lost: Exception | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports are not asyncio.Transport instances, but they behave as one.
        self.transport = cast(asyncio.Transport, transport)
        self._watch()

    def send(self, command: bytes) -> asyncio.Future[Any]:
        if self.lost is not None or self.transport is None:
            raise RedisConnectionError(f"connection to Redis lost: {self.lost}")
        reply: asyncio.Future[Any] = self._loop.create_future()
        self._waiting.append((reply, self._loop.time()))
        self.transport.write(command)
        return reply

    def abort(self, reason: str) -> None:
        """Drops the connection: every command in flight fails with ``reason``."""
        if self.lost is None:
            self.lost = RedisConnectionError(reason)
        if self.transport is not None:
            self.transport.abort()

    def data_received(self, data: bytes) -> None:
        self._reader.feed(data)
        while (reply := self._reader.gets()) is not False:
            waiter, _ = self._waiting.popleft()
            if waiter.done():
                continue  # its caller was cancelled; the reply still had to be read
            if isinstance(reply, ResponseError):
                waiter.set_exception(_typed(reply))
            else:
                waiter.set_result(reply)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self.lost = self.lost or exc or RedisConnectionError("closed by the server")
        while self._waiting:
            waiter, _ = self._waiting.popleft()
            if not waiter.done():
                waiter.set_exception(RedisConnectionError(f"connection to Redis lost: {self.lost}"))

    def _watch(self) -> None:
        self._watchdog = self._loop.call_later(self._reply_timeout / 4, self._check)

    def _check(self) -> None:
        if self._waiting and self._loop.time() - self._waiting[0][1] > self._reply_timeout:
            self.abort(f"Redis did not answer within {self._reply_timeout} s")
        else:
            self._watch()


class PipelinedConnection:
    """Connects on first use and again after the connection was lost (the commands in flight
    then fail with ``redis.exceptions.ConnectionError``, as redis-py's would).

    A command unanswered after ``reply_timeout`` seconds (up to a quarter more) fails the same
    way and drops the connection (a server that stopped answering without closing it: a
    pause, a partition), so that no request waits forever and the next command starts afresh.
    """

    def __init__(self, url: str, reply_timeout: float) -> None:
        options = parse_url(url)
        if not _plain_tcp(options):
            raise ValueError(f"not a plain TCP Redis URL: {url!r}")
        self._host: str = options["host"]
        self._port: int = options.get("port", 6379)
        self._reply_timeout = reply_timeout
        self._setup: list[tuple[Arg, ...]] = []
        if options.get("password"):
            user = (options["username"],) if options.get("username") else ()
            self._setup.append(("AUTH", *user, options["password"]))
        if options.get("db"):
            self._setup.append(("SELECT", options["db"]))
        self._protocol: _Protocol | None = None
        self._connecting = asyncio.Lock()
        self._closed = False

    async def execute(self, *args: Arg) -> Any:
        protocol = self._protocol
        if protocol is None or protocol.lost is not None:
            protocol = await self._connect()
        return await protocol.send(encode_command(args))

    async def close(self) -> None:
        self._closed = True
        if self._protocol is not None and self._protocol.transport is not None:
            self._protocol.transport.close()
        self._protocol = None

    async def _connect(self) -> _Protocol:
        async with self._connecting:
            if self._closed:
                raise RedisConnectionError("the connection is closed")
            if self._protocol is not None and self._protocol.lost is None:
                return self._protocol  # another caller connected meanwhile
            loop = asyncio.get_running_loop()
            try:
                _, protocol = await loop.create_connection(
                    lambda: _Protocol(self._reply_timeout), self._host, self._port
                )
            except OSError as error:
                raise RedisConnectionError(f"cannot connect to Redis: {error}") from error
            try:
                for command in self._setup:
                    await protocol.send(encode_command(command))
            except BaseException:
                # Refused credentials, a cancelled caller, a silent server: not a connection
                # to keep, and not one to leak.
                protocol.abort("the connection's set-up failed")
                raise
            self._protocol = protocol
            return protocol


def _typed(reply: ResponseError) -> Exception:
    """As redis-py types it, text unchanged: LOADING (a restart still replaying its AOF) is
    redis-py's ``BusyLoadingError``, which callers take for "down for now", not for a bug."""
    if str(reply).startswith("LOADING"):
        return BusyLoadingError(str(reply))
    return reply


def serves(url: str) -> bool:
    """Whether a pipelined connection can stand in for redis-py's at ``url``: plain TCP to a
    host. Unix sockets and TLS (``rediss://``) stay with redis-py."""
    return _plain_tcp(parse_url(url))


def _plain_tcp(options: ConnectKwargs) -> bool:
    return "host" in options and "connection_class" not in options
