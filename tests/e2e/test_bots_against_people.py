"""Bots against people on the real stack, with the limits on (issue 15).

Two API processes share one Redis. 20 bots from one address hammer entry (without solving the
sale's proof of work) and reserve (with made-up tokens); 200 people, each from an address of
their own (the loopback network is a /8: a client socket may bind any of it), enter at a human
pace the way the buyer page does: read the sale, get a challenge, solve it, enter, follow the
stream until admitted, reserve a seat, confirm it. People get every seat, bots none, nothing
answers 500; the numbers are printed. And the budget of one address holds over both API
processes together, not each.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.support import Stack, running_stack, settle, wait_ready
from tests.support.http import ADMIN, queue_token, solved_nonce, unique_event_id
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

PEOPLE = 200
BOTS = 20
WORK_BITS = 12
BOT_ADDRESS = "127.0.0.66"
READ_BUDGET = "1/20"
"""Reads per address over every instance: 20 at once, then 1 a second."""


@pytest.fixture
def process_settings(process_settings: Settings) -> Settings:
    return process_settings.model_copy(
        update={"rate_limits": True, "limit_read_per_address": READ_BUDGET}
    )


@pytest.fixture
async def two_apis(
    process_settings: Settings, redis_url: str, tmp_path: Path
) -> AsyncIterator[Stack]:
    async with running_stack(process_settings, redis_url, tmp_path) as stack:
        stack.start_api("api-2")
        await wait_ready(stack, "api-2")
        yield stack


@asynccontextmanager
async def client_from(address: str, base_url: str) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    async with httpx.AsyncClient(transport=transport, base_url=base_url, timeout=60) as client:
        yield client


def person_address(n: int) -> str:
    return f"127.0.{1 + n // 250}.{1 + n % 250}"


async def hammer_like_a_bot(
    base_url: str, show: str, n: int, stop: asyncio.Event, answers: Counter[int]
) -> None:
    """Entry without work for a new user each time, reserve with a made-up token: as fast as
    the API answers, until ``stop``. A request the API did not answer in time counts as 0
    (a bot is not owed an answer; a person is, and those are checked)."""
    async with client_from(BOT_ADDRESS, base_url) as client:
        while not stop.is_set():
            for path, headers in (
                ("/api/v1/queue/enter", {}),
                ("/api/v1/tickets/reserve", queue_token(f"forged.{n}.x")),
            ):
                body = {"eventId": show, "userId": f"bot-{n}-{time.monotonic_ns()}", "quantity": 4}
                try:
                    response = await client.post(path, json=body, headers=headers)
                except httpx.TransportError:
                    answers[0] += 1
                else:
                    answers[response.status_code] += 1


async def buy_like_a_person(base_url: str, show: str, n: int, answers: Counter[int]) -> str:
    """The buyer page's flow, from the person's own address; answers the confirmed hold."""
    await asyncio.sleep(random.uniform(0, 5))  # people arrive over five seconds
    async with client_from(person_address(n), base_url) as client:

        async def call(method: str, path: str, **kwargs: Any) -> httpx.Response:
            response = await client.request(method, path, **kwargs)
            answers[response.status_code] += 1
            return response

        assert (await call("GET", f"/api/v1/events/{show}")).status_code == 200
        issued = (await call("POST", "/api/v1/queue/challenge", json={"eventId": show})).json()
        nonce = await asyncio.to_thread(solved_nonce, issued["challenge"], issued["workBits"])
        entry = {"eventId": show, "userId": f"person-{n}", "challenge": issued["challenge"]}
        entered = await call("POST", "/api/v1/queue/enter", json={**entry, "nonce": nonce})
        assert entered.status_code == 200, entered.text
        token = entered.json()["token"]
        events = []
        async with client.stream("GET", "/api/v1/queue/stream", params={"token": token}) as stream:
            assert stream.status_code == 200
            async for line in stream.aiter_lines():
                if line.startswith("event: "):
                    events.append(line.removeprefix("event: "))
        assert events[-1:] == ["admitted"], events
        held = await call(
            "POST",
            "/api/v1/tickets/reserve",
            json={"eventId": show, "quantity": 1},
            headers=queue_token(token),
        )
        assert held.status_code == 202, held.text
        hold_id: str = held.json()["reservationId"]
        done = await call("POST", f"/api/v1/tickets/{hold_id}/confirm", headers=queue_token(token))
        assert done.status_code == 200, done.text
        return hold_id


async def test_people_get_the_seats_and_bots_are_refused(two_apis: Stack) -> None:
    show = unique_event_id("drop")
    async with httpx.AsyncClient(base_url=two_apis.api_url, timeout=30) as operator:
        sale = {"eventId": show, "name": "Drop", "totalSeats": PEOPLE, "entryWorkBits": WORK_BITS}
        created = await operator.post("/api/v1/events", json=sale, headers=ADMIN)
        assert created.status_code == 201, created.text
    urls = list(two_apis.api_urls.values())
    people_done = asyncio.Event()
    bot_answers: Counter[int] = Counter()
    people_answers: Counter[int] = Counter()
    bots = [
        asyncio.create_task(hammer_like_a_bot(urls[n % 2], show, n, people_done, bot_answers))
        for n in range(BOTS)
    ]
    started = time.monotonic()
    try:
        async with asyncio.timeout(180):
            holds = await asyncio.gather(
                *(buy_like_a_person(urls[n % 2], show, n, people_answers) for n in range(PEOPLE))
            )
    finally:
        people_done.set()
        await asyncio.gather(*bots)
    seconds = time.monotonic() - started

    print(
        f"\n{PEOPLE} people, {len(holds)} seats confirmed in {seconds:.1f} s; people's "
        f"answers {dict(sorted(people_answers.items()))}; {BOTS} bots sent "
        f"{sum(bot_answers.values())} requests: {dict(sorted(bot_answers.items()))}"
    )
    assert len(set(holds)) == PEOPLE, "every person got a seat"
    assert set(bot_answers) <= {0, 401, 403, 429}, "no bot request got anything"
    assert bot_answers[429] > 0
    assert bot_answers[403] > 0
    assert not [status for status in (*people_answers, *bot_answers) if status >= 500]
    rows = await settle(two_apis, show, dict.fromkeys(holds, "CONFIRMED"))
    assert {r.user_id for r in rows.values()} == {f"person-{n}" for n in range(PEOPLE)}


async def test_an_address_budget_holds_over_both_api_processes(two_apis: Stack) -> None:
    show = unique_event_id("shared-budget")
    async with httpx.AsyncClient(base_url=two_apis.api_url, timeout=30) as operator:
        created = await operator.post(
            "/api/v1/events",
            json={"eventId": show, "name": "Shared", "totalSeats": 5},
            headers=ADMIN,
        )
        assert created.status_code == 201, created.text
    rate, burst = (float(part) for part in READ_BUDGET.split("/"))
    urls = list(two_apis.api_urls.values())
    answers: list[int] = []
    async with (
        client_from("127.0.0.77", urls[0]) as first,
        client_from("127.0.0.77", urls[1]) as second,
    ):
        started = time.monotonic()
        for n in range(100):
            client = (first, second)[n % 2]
            answers.append((await client.get(f"/api/v1/events/{show}")).status_code)
        seconds = time.monotonic() - started
    passed = answers.count(200)
    allowed = burst + rate * seconds
    print(
        f"\n100 reads over two instances in {seconds:.1f} s: {passed} passed, budget {allowed:.1f}"
    )
    assert set(answers) <= {200, 429}
    assert burst <= passed <= allowed + 1, "the instances share one budget (each alone: twice)"
