"""Limits against bots (issue 15), on the memory and the Redis backend: request budgets per
route group and client with 429 and ``Retry-After``; who the client is behind a proxy; entry
challenges (proof of work) and entry grants; at most two streams per buyer, a cap per address.

Every client here has an address of its own (``client_at``), unique to the test, because the
buckets live in Redis beyond one test. The test's own setup requests (``sale``) come through
the loopback "proxy", each for a new address, so that they spend no budget a test counts."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import httpx
import jwt
import pytest
from litestar import Litestar

from tests.api.support import Sale, Stream, assert_problem, sse_messages
from tests.support.http import ADMIN, LOOPBACK, queue_token, solved_nonce
from tests.support.waiting import eventually
from ticketing_entrypoints.http.entry_checks import work_of
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

BURST = 3
"""Every budget of these tests: 3 at once, then ``budget_rate`` a second."""
PROXY = "10.99.0.1"
STREAMS_PER_ADDRESS = 2


@pytest.fixture
def budget_rate() -> str:
    """Slow enough that no budget refills while a test counts (a stall of the machine cannot
    let one more through); the tests of what refilling does give their own."""
    return "0.02"


@pytest.fixture
def settings(settings: Settings, budget_rate: str) -> Settings:
    budgets = {
        f"limit_{group}_per_{per}": f"{budget_rate}/{BURST}"
        for group in ("enter", "read", "hold", "stream", "admin")
        for per in ("address", "user")
        if f"limit_{group}_per_{per}" in Settings.model_fields
    }
    return settings.model_copy(
        update={
            "rate_limits": True,
            "trusted_proxies": f"10.99.0.0/16, {LOOPBACK}",
            "streams_per_address": STREAMS_PER_ADDRESS,
            **budgets,
        }
    )


def unique_address() -> str:
    """An IPv6 address in a /64 of its own (a budget counts an IPv6 client by its /64)."""
    return f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}::1"


@pytest.fixture(autouse=True)
def setup_from_fresh_addresses(sale: Sale) -> None:
    async def forwarded_for_a_new_address(request: httpx.Request) -> None:
        request.headers["X-Forwarded-For"] = unique_address()

    sale.client.event_hooks["request"].append(forwarded_for_a_new_address)


@asynccontextmanager
async def client_at(app: Litestar, address: str) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the (started) app whose requests come from ``address``."""
    transport = httpx.ASGITransport(app=app, client=(address, 40_000))  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


Send = Callable[[httpx.AsyncClient, int], Awaitable[httpx.Response]]


async def group_requests(sale: Sale, show: str) -> dict[str, Send]:
    """One request of each route group, the n-th of a run (an entry names a new user)."""
    tokens = await sale.admitted(show, *[f"admitted-{n}" for n in range(5)])

    async def enter(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.post(
            "/api/v1/queue/enter", json={"eventId": show, "userId": f"bot-{uuid.uuid4().hex}"}
        )

    async def read(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(f"/api/v1/events/{show}")

    async def hold(client: httpx.AsyncClient, n: int) -> httpx.Response:
        # Each from another buyer: only the address's budget is spent here.
        return await client.post(
            "/api/v1/tickets/no-such-hold/cancel",
            headers=queue_token(tokens[f"admitted-{n % 5}"]),
        )

    async def stream(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get(
            "/api/v1/queue/stream", params={"token": tokens[f"admitted-{n % 5}"]}
        )

    async def admin(client: httpx.AsyncClient, n: int) -> httpx.Response:
        return await client.get("/api/v1/operator", headers=ADMIN)

    return {"enter": enter, "read": read, "hold": hold, "stream": stream, "admin": admin}


async def until_refused(send: Send, client: httpx.AsyncClient) -> httpx.Response:
    """Sends until a request is refused for its budget: the burst passes (and, on a machine
    slow enough to refill a request meanwhile, a few more); answers the refusal."""
    for n in range(4 * BURST):
        response = await send(client, n)
        assert response.status_code < 500, response.text
        if response.status_code == 429:
            assert n >= BURST, f"refused after {n}: the burst is {BURST}"
            return response
    raise AssertionError(f"{4 * BURST} requests and none refused")


@pytest.mark.parametrize("budget_rate", ["1"])
@pytest.mark.parametrize("group", ["enter", "read", "hold", "stream", "admin"])
async def test_each_route_group_refuses_past_its_budget_until_retry_after(
    sale: Sale, show: str, group: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    send = (await group_requests(sale, show))[group]
    async with client_at(sale.app, unique_address()) as client:
        refused = await until_refused(send, client)
        body = assert_problem(refused, 429, "rate_limited")
        assert group in body["detail"]
        retry_after = int(refused.headers["Retry-After"])
        assert 1 <= retry_after <= 2

        await asyncio.sleep(retry_after)  # what the client is told to do: the rule under test
        passed = await send(client, 4 * BURST)
        assert passed.status_code not in (429, 500), passed.text

        async with client_at(sale.app, unique_address()) as neighbour:
            first = await send(neighbour, 0)
            assert first.status_code != 429, "another address has a budget of its own"


async def test_a_buyer_budget_follows_the_token_across_addresses(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    token = (await sale.enter(show, "ann"))["token"]
    async with client_at(sale.app, unique_address()) as home:
        for _ in range(BURST):
            response = await home.get("/api/v1/queue/status", headers=queue_token(token))
            assert response.status_code == 200
    async with client_at(sale.app, unique_address()) as phone:
        refused = await phone.get("/api/v1/queue/status", headers=queue_token(token))
        assert "user" in assert_problem(refused, 429, "rate_limited")["detail"]
        other = (await sale.enter(show, "bob"))["token"]
        response = await phone.get("/api/v1/queue/status", headers=queue_token(other))
        assert response.status_code == 200, "the address itself had budget left"


async def test_a_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    async with client_at(sale.app, unique_address()) as bot:
        answers = [
            await bot.get(f"/api/v1/events/{show}", headers={"X-Forwarded-For": unique_address()})
            for _ in range(BURST + 1)
        ]
    assert [a.status_code for a in answers] == [200] * BURST + [429]


async def test_behind_a_trusted_proxy_each_forwarded_client_has_its_own_budget(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    async with client_at(sale.app, PROXY) as proxy:
        answers = [
            await proxy.get(
                f"/api/v1/events/{show}",
                headers={"X-Forwarded-For": f"6.6.6.6, {unique_address()}"},
            )
            for _ in range(3 * BURST)
        ]
        assert [a.status_code for a in answers] == [200] * (3 * BURST)
        one_client = {"X-Forwarded-For": unique_address()}
        repeated = [
            await proxy.get(f"/api/v1/events/{show}", headers=one_client) for _ in range(BURST + 1)
        ]
        assert [a.status_code for a in repeated] == [200] * BURST + [429]


async def test_health_and_metrics_are_never_limited(sale: Sale) -> None:
    async with client_at(sale.app, unique_address()) as client:
        for path in ("/health/live", "/health/ready", "/metrics") * (BURST + 2):
            assert (await client.get(path)).status_code == 200, path


async def test_refusals_are_counted_by_group_on_metrics(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    async with client_at(sale.app, unique_address()) as client:
        for _ in range(BURST + 2):
            await client.get(f"/api/v1/events/{show}")
        metrics = (await client.get("/metrics")).text
    assert 'http_requests_limited_total{group="read",per="address"} 2.0' in metrics
    assert "2001:db8" not in metrics, "never by address"


# -- proof of work ---------------------------------------------------------------------------


async def challenge_of(client: httpx.AsyncClient, event_id: str) -> dict[str, Any]:
    response = await client.post("/api/v1/queue/challenge", json={"eventId": event_id})
    assert response.status_code == 200, response.text
    issued: dict[str, Any] = response.json()
    return issued


def unsolved_nonce(challenge: str, bits: int) -> str:
    nonce = 0
    while work_of(challenge, str(nonce)) >= bits:
        nonce += 1
    return str(nonce)


async def enter_with(
    client: httpx.AsyncClient, event_id: str, user_id: str, **proof: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/queue/enter", json={"eventId": event_id, "userId": user_id, **proof}
    )


async def test_an_entry_needs_a_solved_challenge_of_its_sale_used_once(
    sale: Sale, show: str
) -> None:
    await sale.create_event(eventId=show, totalSeats=10, entryWorkBits=8)
    await sale.create_event(eventId=f"{show}-other", totalSeats=10, entryWorkBits=8)
    client = sale.client  # each request from a new address: no budget is spent
    missing = await enter_with(client, show, "ann")
    assert_problem(missing, 403, "work_required")

    issued = await challenge_of(client, show)
    assert issued["workBits"] == 8
    challenge = issued["challenge"]
    weak = await enter_with(
        client, show, "ann", challenge=challenge, nonce=unsolved_nonce(challenge, 8)
    )
    assert_problem(weak, 403, "work_insufficient")

    nonce = solved_nonce(challenge, 8)
    other_sale = await enter_with(client, f"{show}-other", "ann", challenge=challenge, nonce=nonce)
    assert_problem(other_sale, 403, "challenge_refused")
    entered = await enter_with(client, show, "ann", challenge=challenge, nonce=nonce)
    assert entered.json()["status"] == "WAITING"
    replayed = await enter_with(client, show, "bob", challenge=challenge, nonce=nonce)
    assert_problem(replayed, 403, "challenge_refused")

    again = await enter_with(client, show, "ann")
    assert again.status_code == 200, "entering again keeps the place and needs no work"

    late = (await challenge_of(client, show))["challenge"]
    sale.clock.advance(301_000)
    expired = await enter_with(client, show, "cat", challenge=late, nonce=solved_nonce(late, 8))
    assert "expired" in assert_problem(expired, 403, "challenge_refused")["detail"]

    metrics = (await client.get("/metrics")).text
    assert "entry_challenges_issued_total 2.0" in metrics
    assert "entry_challenges_solved_total 1.0" in metrics


async def test_an_operator_can_ask_for_work_while_the_sale_runs(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    client = sale.client  # each request from a new address: no budget is spent
    assert (await enter_with(client, show, "ann")).status_code == 200
    changed = await client.patch(f"/api/v1/events/{show}", json={"entryWorkBits": 4}, headers=ADMIN)
    assert changed.json()["entryWorkBits"] == 4
    assert_problem(await enter_with(client, show, "bob"), 403, "work_required")


# -- entry grants -----------------------------------------------------------------------------


def grant(key: str, **claims: Any) -> str:
    """What the operator's site signs, here with PyJWT (any JWT library would do)."""
    return jwt.encode(claims, key, algorithm="HS256")


async def test_an_entry_grant_names_the_user_and_the_sale(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10, entryGrantRequired=True)
    client = sale.client  # each request from a new address: no budget is spent
    refused = await client.get(f"/api/v1/events/{show}/entry-grant-key")
    assert_problem(refused, 401, "unauthorized")
    key = (await client.get(f"/api/v1/events/{show}/entry-grant-key", headers=ADMIN)).json()["key"]
    exp = sale.clock.now_ms() // 1000 + 600
    assert_problem(await enter_with(client, show, "ann"), 403, "grant_refused")
    for wrong in (
        grant(key, sub="bob", evt=show, exp=exp),
        grant(key, sub="ann", evt="another-sale", exp=exp),
        grant(key, sub="ann", evt=show, exp=exp - 3_600),
        grant("not-the-key", sub="ann", evt=show, exp=exp),
        "a.b.c",
    ):
        answer = await enter_with(client, show, "ann", entryGrant=wrong)
        assert_problem(answer, 403, "grant_refused")
    good = await enter_with(
        client, show, "ann", entryGrant=grant(key, sub="ann", evt=show, exp=exp)
    )
    assert good.json()["status"] == "WAITING"


# -- streams ----------------------------------------------------------------------------------


async def test_a_third_stream_of_one_buyer_replaces_the_oldest(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10, maxActiveUsers=1)
    await sale.admitted(show, "first")
    token = (await sale.enter(show, "ann"))["token"]
    home, phone = unique_address(), unique_address()
    streams = [Stream(sale, token, home)]
    await eventually(lambda: len(streams[0].sent()) > 0, within=30, what="the first stream")
    streams += [Stream(sale, token, phone), Stream(sale, token, home)]

    oldest = await asyncio.wait_for(streams[0].response, timeout=30)
    assert [event for event, _, _ in sse_messages(oldest.text)] == ["position", "replaced"]
    assert not streams[1].response.done()
    assert not streams[2].response.done()
    metrics = (await sale.client.get("/metrics")).text
    assert "queue_streams_replaced_total 1.0" in metrics

    await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    await sale.tick(show)
    for stream in streams[1:]:
        ended = await asyncio.wait_for(stream.response, timeout=30)
        assert sse_messages(ended.text)[-1][0] == "expired"


@pytest.mark.parametrize("budget_rate", ["1"])  # stream opens come back while it waits
async def test_an_address_holding_its_streams_is_refused_one_more(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10, maxActiveUsers=1)
    await sale.admitted(show, "first")
    tokens = [(await sale.enter(show, f"buyer-{n}"))["token"] for n in range(3)]
    address = unique_address()
    streams = [Stream(sale, token, address) for token in tokens[:STREAMS_PER_ADDRESS]]
    await eventually(
        lambda: all(stream.sent() for stream in streams), within=30, what="two streams open"
    )
    async with client_at(sale.app, address) as client:
        refused = await client.get("/api/v1/queue/stream", params={"token": tokens[2]})
    assert_problem(refused, 429, "too_many_streams")
    assert refused.headers["Retry-After"]

    await sale.client.delete("/api/v1/queue", headers=queue_token(tokens[0]))
    await sale.tick(show)
    await asyncio.wait_for(streams[0].response, timeout=30)
    opened: list[Stream] = []

    async def another_stream_opens() -> bool:
        # The address's budget of stream opens refills at 1 a second meanwhile.
        stream = Stream(sale, tokens[2], address)
        await eventually(
            lambda: stream.response.done() or bool(stream.sent()), within=30, what="an answer"
        )
        if stream.response.done():
            assert stream.response.result().status_code == 429
            return False
        opened.append(stream)
        return True

    await eventually(another_stream_opens, within=30, what="a stream once one closed")
    for token in tokens[1:]:
        await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    await sale.tick(show)
    await asyncio.wait_for(asyncio.gather(*(s.response for s in (streams[1], *opened))), 30)


async def test_the_wait_is_the_longest_of_the_budgets_that_refuse(sale: Sale, show: str) -> None:
    """The address's budget would have room again sooner than the buyer's: the answer says
    when both have."""
    await sale.create_event(eventId=show, totalSeats=10)
    token = (await sale.enter(show, "ann"))["token"]
    async with client_at(sale.app, unique_address()) as home:
        for _ in range(BURST):
            assert (await home.get("/api/v1/queue/status", headers=queue_token(token))).is_success
    async with client_at(sale.app, unique_address()) as phone:
        refused = await phone.get("/api/v1/queue/status", headers=queue_token(token))
    assert_problem(refused, 429, "rate_limited")
    assert int(refused.headers["Retry-After"]) >= 49, "a buyer's request comes back in 50 s"


async def test_two_tokens_in_one_stream_request_are_refused(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    token = (await sale.enter(show, "ann"))["token"]
    answer = await sale.client.get(
        "/api/v1/queue/stream", params=[("token", "not-a-token"), ("token", token)]
    )
    assert_problem(answer, 401, "invalid_token")


async def test_an_ipv6_client_spends_the_budget_of_its_64(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    network = f"2001:db8:{uuid.uuid4().hex[:4]}:{uuid.uuid4().hex[:4]}"
    answers = []
    for n in range(BURST + 1):
        async with client_at(sale.app, f"{network}:{n + 1}::7") as client:
            answers.append((await client.get(f"/api/v1/events/{show}")).status_code)
    assert answers == [200] * BURST + [429]


async def test_operators_read_the_refusals_of_the_instance(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show, totalSeats=10)
    async with client_at(sale.app, unique_address()) as client:
        for _ in range(BURST + 1):
            await client.get(f"/api/v1/events/{show}")
    refusals = await sale.client.get("/api/v1/operator/refusals", headers=ADMIN)
    assert refusals.status_code == 200, refusals.text
    assert refusals.json()["refusedByGroup"]["read"] >= 1
    assert set(refusals.json()) == {
        "refusedByGroup",
        "challengesIssued",
        "challengesSolved",
        "streamsReplaced",
    }
