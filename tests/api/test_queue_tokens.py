"""Queue tokens: signed, naming one event and one user, good for 48 hours, and nothing else."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Awaitable, Callable

import httpx
import jwt
import pytest

from tests.api.support import Sale, assert_problem
from tests.support.http import TOKEN_SECRET, queue_token, unique_event_id

pytestmark = pytest.mark.anyio

AUDIENCE = "ticketing:queue"


def claims(user: str, event: str, issued: float, expires: float) -> dict[str, object]:
    return {"sub": user, "evt": event, "aud": AUDIENCE, "iat": int(issued), "exp": int(expires)}


def with_payload_of_user(token: str, user: str) -> str:
    """The token with its payload rewritten to another user and the signature kept."""
    header, payload, signature = token.split(".")
    decoded = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    decoded["sub"] = user
    forged = base64.urlsafe_b64encode(json.dumps(decoded).encode()).rstrip(b"=").decode()
    return f"{header}.{forged}.{signature}"


def bad_tokens(valid: str) -> dict[str, str | None]:
    now = time.time()
    return {
        "missing": None,
        "empty": "",
        "garbage": "not-a-token",
        "tampered": with_payload_of_user(valid, "mallory"),
        "forged": jwt.encode(claims("ann", "show", now, now + 60), "another-secret-" * 3),
        "expired": jwt.encode(claims("ann", "show", now - 7_200, now - 3_600), TOKEN_SECRET),
        "unsigned": jwt.encode(claims("ann", "show", now, now + 60), None, algorithm="none"),
        "no-audience": jwt.encode(
            {"sub": "ann", "evt": "show", "exp": int(now + 60)}, TOKEN_SECRET
        ),
    }


Call = Callable[[Sale, dict[str, str]], Awaitable[httpx.Response]]

ROUTES: dict[str, Call] = {
    "status": lambda sale, headers: sale.client.get("/api/v1/queue/status", headers=headers),
    "leave": lambda sale, headers: sale.client.delete("/api/v1/queue", headers=headers),
    "reserve": lambda sale, headers: sale.client.post(
        "/api/v1/tickets/reserve", json={"eventId": "show", "quantity": 1}, headers=headers
    ),
    "read": lambda sale, headers: sale.client.get("/api/v1/tickets/some-id", headers=headers),
    "confirm": lambda sale, headers: sale.client.post(
        "/api/v1/tickets/some-id/confirm", headers=headers
    ),
    "cancel": lambda sale, headers: sale.client.post(
        "/api/v1/tickets/some-id/cancel", headers=headers
    ),
}


@pytest.mark.parametrize("route", sorted(ROUTES))
@pytest.mark.parametrize(
    "kind",
    ["missing", "empty", "garbage", "tampered", "forged", "expired", "unsigned", "no-audience"],
)
async def test_every_route_refuses_a_token_that_is_not_the_servers_own(
    sale: Sale, route: str, kind: str, show: str
) -> None:
    await sale.create_event(eventId=show)
    valid = (await sale.admitted(show, "ann"))["ann"]
    token = bad_tokens(valid)[kind]
    headers = {} if token is None else queue_token(token)

    response = await ROUTES[route](sale, headers)

    assert_problem(response, 401, "invalid_token")


async def test_a_token_cannot_reserve_at_another_event(sale: Sale, show: str) -> None:
    other = unique_event_id("other-show")
    await sale.create_event(eventId=show)
    await sale.create_event(eventId=other)
    token = (await sale.admitted(show, "ann"))["ann"]
    await sale.admitted(other, "ann")

    response = await sale.reserve(token, other)

    assert_problem(response, 401, "invalid_token")
    assert (await sale.event(other))["stats"]["pendingSeats"] == 0


async def test_a_token_names_its_event_and_user_and_lasts_48_hours(sale: Sale, show: str) -> None:
    await sale.create_event(eventId=show)

    token = (await sale.enter(show, "ann"))["token"]

    payload = jwt.decode(token, TOKEN_SECRET, algorithms=["HS256"], audience=AUDIENCE)
    assert (payload["evt"], payload["sub"]) == (show, "ann")
    assert payload["exp"] - payload["iat"] == 48 * 3600
