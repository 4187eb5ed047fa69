"""Queue tokens: a signed JWT naming the event and the user, valid for 48 hours."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import jwt

from entrypoints.http.errors import InvalidToken

TOKEN_LIFETIME = timedelta(hours=48)
_ALGORITHM = "HS256"
_AUDIENCE = "ticketing:queue"
_REQUIRED_CLAIMS = ["exp", "iat", "sub", "aud", "evt"]


@dataclass(frozen=True, slots=True)
class QueuePass:
    """Who a verified token speaks for, and the token itself."""

    event_id: str
    user_id: str
    token: str

    def require_event(self, event_id: str) -> None:
        """A token speaks for one event only; using it for another is refused."""
        if event_id != self.event_id:
            raise InvalidToken("the queue token belongs to another event")


class QueueTokens:
    def __init__(self, secret: str) -> None:
        self._secret = secret

    def issue(self, event_id: str, user_id: str) -> str:
        now = datetime.now(UTC)
        claims = {
            "sub": user_id,
            "evt": event_id,
            "aud": _AUDIENCE,
            "iat": now,
            "exp": now + TOKEN_LIFETIME,
        }
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM)

    def verify(self, token: str | None) -> QueuePass:
        """The pass the token carries; ``InvalidToken`` if it is missing, forged or expired."""
        if not token:
            raise InvalidToken("a queue token is required; enter the queue to get one")
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                audience=_AUDIENCE,
                options={"require": _REQUIRED_CLAIMS},
            )
        except jwt.ExpiredSignatureError:
            raise InvalidToken("the queue token expired; enter the queue again") from None
        except jwt.InvalidTokenError:
            raise InvalidToken("the queue token is not valid") from None
        event_id, user_id = claims["evt"], claims["sub"]
        if not isinstance(event_id, str) or not isinstance(user_id, str):
            raise InvalidToken("the queue token is not valid")
        return QueuePass(event_id=event_id, user_id=user_id, token=token)
