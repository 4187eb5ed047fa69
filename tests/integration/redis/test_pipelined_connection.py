"""The pipelined connection: every caller gets its own reply, whatever else is in flight."""

from __future__ import annotations

import asyncio
import uuid

import pytest
from redis.asyncio import Redis
from redis.exceptions import BusyLoadingError, ResponseError
from redis.exceptions import ConnectionError as RedisConnectionError

from tests.support.waiting import eventually
from ticketing_adapters.redis.pipelined import PipelinedConnection, serves

pytestmark = pytest.mark.anyio


@pytest.fixture(params=["asyncio", "uvloop"])
def anyio_backend(request: pytest.FixtureRequest) -> tuple[str, dict[str, bool]]:
    """The served API runs on uvloop, whose transports are not asyncio's own classes."""
    return ("asyncio", {"use_uvloop": request.param == "uvloop"})


async def test_a_crowd_of_concurrent_commands_each_get_their_own_reply(redis_url: str) -> None:
    connection = PipelinedConnection(redis_url, reply_timeout=10)
    try:
        replies = await asyncio.gather(*(connection.execute("ECHO", n) for n in range(5_000)))
    finally:
        await connection.close()

    assert replies == [str(n) for n in range(5_000)]


async def test_an_error_reply_raises_for_its_caller_only(redis_url: str) -> None:
    connection = PipelinedConnection(redis_url, reply_timeout=10)
    try:
        outcomes: list[object] = await asyncio.gather(
            connection.execute("ECHO", "before"),
            connection.execute("EVALSHA", "0" * 40, 0),
            connection.execute("ECHO", "after"),
            return_exceptions=True,
        )
    finally:
        await connection.close()
    before, refused, after = outcomes

    assert (before, after) == ("before", "after")
    assert isinstance(refused, ResponseError)
    assert str(refused).startswith("NOSCRIPT")


async def test_a_cancelled_caller_does_not_shift_the_replies_of_the_others(
    redis_url: str,
) -> None:
    connection = PipelinedConnection(redis_url, reply_timeout=10)
    try:
        calls = [asyncio.ensure_future(connection.execute("ECHO", n)) for n in range(1_000)]
        await asyncio.sleep(0)  # every command written
        for call in calls[::3]:
            call.cancel()
        outcomes = await asyncio.gather(*calls, return_exceptions=True)
        afterwards = await connection.execute("ECHO", "next")
    finally:
        await connection.close()

    for n, outcome in enumerate(outcomes):
        assert isinstance(outcome, asyncio.CancelledError) if n % 3 == 0 else outcome == str(n)
    assert afterwards == "next"


async def test_after_the_server_drops_the_connection_the_next_command_reconnects(
    redis_url: str,
) -> None:
    key = f"pipelined-{uuid.uuid4().hex[:8]}:nothing"
    connection = PipelinedConnection(redis_url, reply_timeout=10)
    admin = Redis.from_url(redis_url, decode_responses=True)
    try:
        own_id = await connection.execute("CLIENT", "ID")
        waiting = asyncio.ensure_future(connection.execute("BLPOP", key, 5))

        async def blocked() -> bool:
            clients = await admin.client_list()
            # flag b: the client waits in a blocking command
            return any(c["id"] == str(own_id) and "b" in c["flags"] for c in clients)

        await eventually(blocked, within=30, what="the BLPOP blocks on the server")
        await admin.client_kill_filter(_id=own_id)  # this connection only: Redis is shared
        with pytest.raises(RedisConnectionError):
            await waiting
        assert await connection.execute("ECHO", "again") == "again"
    finally:
        await connection.close()
        await admin.aclose()


async def test_the_database_of_the_url_is_selected(redis_url: str) -> None:
    base = redis_url.rsplit("/", 1)[0]
    key = f"pipelined-{uuid.uuid4().hex[:8]}"
    connection = PipelinedConnection(f"{base}/2", reply_timeout=10)
    other = Redis.from_url(f"{base}/2", decode_responses=True)
    try:
        await connection.execute("SET", key, "here", "EX", 60)
        assert await other.get(key) == "here"
    finally:
        await connection.close()
        await other.delete(key)
        await other.aclose()


async def test_a_server_that_stops_answering_fails_the_commands_and_is_left(
    redis_url: str,
) -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # reads nothing, answers nothing, keeps the socket open

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = PipelinedConnection(f"redis://127.0.0.1:{port}/0", reply_timeout=0.2)
    try:
        outcomes = await asyncio.gather(
            *(connection.execute("PING") for _ in range(3)), return_exceptions=True
        )
        with pytest.raises(RedisConnectionError):
            await connection.execute("PING")
    finally:
        await connection.close()
        server.close()
        for writer in accepted:
            writer.close()

    assert all(isinstance(outcome, RedisConnectionError) for outcome in outcomes)
    assert len(accepted) == 2, "the silent connection was dropped and a new one made"


async def test_refused_credentials_leave_no_connection_behind(redis_url: str) -> None:
    admin = Redis.from_url(redis_url, decode_responses=True)
    host_and_port = redis_url.split("://", 1)[1].rsplit("/", 1)[0]
    connection = PipelinedConnection(f"redis://nobody:wrong@{host_and_port}/0", reply_timeout=10)
    try:
        before = (await admin.info("clients"))["connected_clients"]
        for _ in range(20):
            with pytest.raises(ResponseError):
                await connection.execute("PING")
        after = (await admin.info("clients"))["connected_clients"]
    finally:
        await connection.close()
        await admin.aclose()

    assert after - before < 5


async def test_a_closed_connection_does_not_reconnect(redis_url: str) -> None:
    connection = PipelinedConnection(redis_url, reply_timeout=10)
    assert await connection.execute("ECHO", "open") == "open"

    await connection.close()

    with pytest.raises(RedisConnectionError):
        await connection.execute("ECHO", "closed")


@pytest.mark.parametrize(
    ("url", "served"),
    [
        ("redis://127.0.0.1:6379/0", True),
        ("redis://:secret@cache.internal:6380/3", True),
        ("rediss://cache.internal:6380/0", False),
        ("unix:///run/redis.sock?db=2", False),
    ],
)
def test_only_plain_tcp_urls_are_pipelined(url: str, served: bool) -> None:
    assert serves(url) is served


async def test_a_server_still_loading_its_data_says_so_as_redis_py_does() -> None:
    async def loading(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writer.write(b"-LOADING Redis is loading the dataset in memory\r\n")
        await writer.drain()

    server = await asyncio.start_server(loading, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    connection = PipelinedConnection(f"redis://127.0.0.1:{port}/0", reply_timeout=10)
    try:
        with pytest.raises(BusyLoadingError, match=r"^LOADING Redis is loading"):
            await connection.execute("PING")
    finally:
        await connection.close()
        server.close()
