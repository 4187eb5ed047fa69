"""Queue tokens are standard HS256 JWTs, checked strictly (PyJWT as the independent reader)."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from ticketing_entrypoints.http.errors import InvalidToken
from ticketing_entrypoints.http.tokens import QueueTokens

SECRET = "unit-test-secret-0123456789abcdefghij" * 2
AUDIENCE = "ticketing:queue"


def claims(**overrides: object) -> dict[str, object]:
    now = int(time.time())
    # Parameters are built at collection time: a long run must not see them expire first.
    return {
        "sub": "ann",
        "evt": "show",
        "aud": AUDIENCE,
        "iat": now,
        "exp": now + 86_400,
        **overrides,
    }


def test_pyjwt_reads_an_issued_token() -> None:
    token = QueueTokens(SECRET).issue("show", "ann")

    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience=AUDIENCE)

    assert (payload["evt"], payload["sub"]) == ("show", "ann")
    assert payload["exp"] - payload["iat"] == 48 * 3600


def test_a_token_signed_with_the_secret_by_pyjwt_is_accepted() -> None:
    token = jwt.encode(claims(extra="ignored"), SECRET)

    queue_pass = QueueTokens(SECRET).verify(token)

    assert (queue_pass.event_id, queue_pass.user_id, queue_pass.token) == ("show", "ann", token)


def _segments(token: str) -> list[str]:
    return token.split(".")


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


@pytest.mark.parametrize(
    "token",
    [
        pytest.param(jwt.encode(claims(), None, algorithm="none"), id="alg-none"),
        pytest.param(jwt.encode(claims(), SECRET, algorithm="HS512"), id="other-algorithm"),
        pytest.param(
            jwt.encode(claims(), SECRET, headers={"kid": "1"}), id="header-not-the-issued-one"
        ),
        pytest.param(
            jwt.encode(claims(), "another-secret-0123456789abcdef-0123456789"), id="other-key"
        ),
        pytest.param(jwt.encode(claims(aud="elsewhere"), SECRET), id="other-audience"),
        pytest.param(jwt.encode(claims(iat=int(time.time()) + 3_600), SECRET), id="issued-later"),
        pytest.param(jwt.encode(claims(exp="soon"), SECRET), id="exp-not-a-number"),
        pytest.param(
            jwt.encode({k: v for k, v in claims().items() if k != "evt"}, SECRET),
            id="no-event",
        ),
        pytest.param("a.b", id="two-segments"),
        pytest.param("a.b.c.d", id="four-segments"),
        pytest.param("é.a.b", id="not-ascii"),
    ],
)
def test_anything_but_a_sound_token_of_this_server_is_refused(token: str) -> None:
    with pytest.raises(InvalidToken, match="not valid"):
        QueueTokens(SECRET).verify(token)


def test_a_changed_payload_or_signature_is_refused() -> None:
    header, payload, signature = _segments(QueueTokens(SECRET).issue("show", "ann"))
    other_payload = _segments(QueueTokens(SECRET).issue("show", "mallory"))[1]
    flipped = ("A" if signature[0] != "A" else "B") + signature[1:]

    for token in (f"{header}.{other_payload}.{signature}", f"{header}.{payload}.{flipped}"):
        with pytest.raises(InvalidToken, match="not valid"):
            QueueTokens(SECRET).verify(token)


def test_an_expired_token_says_so() -> None:
    now = int(time.time())
    token = jwt.encode(claims(iat=now - 7_200, exp=now - 3_600), SECRET)

    with pytest.raises(InvalidToken, match="expired"):
        QueueTokens(SECRET).verify(token)
