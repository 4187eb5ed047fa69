"""What a sale may ask of an entry before it queues the buyer: proof of work, an entry grant.

**Proof of work** (``entryWorkBits`` > 0): ``POST /api/v1/queue/challenge`` hands out a
challenge, ``<id>.<expiry ms>.<signature>``, signed for one sale (the signature covers the
sale's id, so a challenge of another sale does not verify) and good until its expiry. The
entry brings it with a ``nonce`` such that SHA-256(challenge || nonce), both as ASCII, starts
with ``entryWorkBits`` zero bits; each challenge admits one entry (``SpentChallenges``). A
buyer's page spends a fraction of a second to seconds on it once; a bot pays it on every entry.

**Entry grant** (``entryGrantRequired``): the operator's own site, which knows who its users
are, signs a JWT (HS256) with claims ``sub`` (the user id), ``evt`` (the sale) and ``exp``,
with the sale's grant key (``GET /api/v1/events/{id}/entry-grant-key``). The key is derived
from the token secret and the sale's id, so it is stored nowhere and every instance knows it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from dataclasses import dataclass

import msgspec

from ticketing_core.clock import Clock
from ticketing_core.ports import SpentChallenges
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.http.errors import (
    ChallengeRefused,
    GrantRefused,
    WorkInsufficient,
    WorkRequired,
)
from ticketing_entrypoints.http.limit_metrics import LimitMetrics

_CLOCK_LEEWAY_SECONDS = 60


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def leading_zero_bits(digest: bytes) -> int:
    value = int.from_bytes(digest, "big")
    return len(digest) * 8 - value.bit_length()


def work_of(challenge: str, nonce: str) -> int:
    """The zero bits that SHA-256(challenge || nonce) starts with."""
    return leading_zero_bits(hashlib.sha256((challenge + nonce).encode("ascii")).digest())


@dataclass(frozen=True, slots=True)
class IssuedChallenge:
    challenge: str
    work_bits: int
    expires_at_ms: int


class _GrantClaims(msgspec.Struct, frozen=True):
    sub: str
    evt: str
    exp: float
    """A NumericDate (RFC 7519): seconds, possibly with a fraction."""


class _GrantHeader(msgspec.Struct, frozen=True):
    alg: str


_decode_grant = msgspec.json.Decoder(_GrantClaims).decode
_decode_grant_header = msgspec.json.Decoder(_GrantHeader).decode


class EntryChecks:
    def __init__(
        self,
        *,
        secret: str,
        challenge_lifetime_seconds: int,
        spent: SpentChallenges,
        metrics: LimitMetrics,
        clock: Clock,
    ) -> None:
        """Times are the sale's (``clock``), as the service's are."""
        key = secret.encode("utf-8")
        self._challenge_key = hmac.digest(key, b"ticketing:entry-challenge", hashlib.sha256)
        self._grant_key = hmac.digest(key, b"ticketing:entry-grant", hashlib.sha256)
        self._lifetime_ms = challenge_lifetime_seconds * 1000
        self._spent = spent
        self._metrics = metrics
        self._clock = clock

    # -- proof of work ------------------------------------------------------------------

    def issue(self, settings: EventSettings) -> IssuedChallenge:
        challenge_id = secrets.token_hex(16)
        expires = self._clock.now_ms() + self._lifetime_ms
        signed = f"{challenge_id}.{expires}"
        challenge = f"{signed}.{self._challenge_signature(settings.event_id, signed)}"
        self._metrics.challenges_issued.inc()
        return IssuedChallenge(challenge, settings.entry_work_bits, expires)

    async def check_work(
        self, settings: EventSettings, challenge: str | None, nonce: str | None
    ) -> None:
        """Passes an entry to ``settings``' sale with the work it asks for (none when its
        ``entry_work_bits`` is 0); spends the challenge. Raises ``WorkRequired``,
        ``ChallengeRefused`` or ``WorkInsufficient``."""
        bits = settings.entry_work_bits
        if not bits:
            return
        if not challenge or not nonce:
            raise WorkRequired(
                f"this sale asks for proof of work ({bits} bits): get a challenge from "
                "POST /api/v1/queue/challenge and send it with its nonce"
            )
        challenge_id, remaining_ms = self._authentic(settings.event_id, challenge)
        if work_of(challenge, nonce) < bits:
            raise WorkInsufficient(f"SHA-256(challenge || nonce) must start with {bits} zero bits")
        # Kept past the expiry by the clock leeway: an instance whose clock is behind still
        # takes the challenge for valid a little longer.
        keep_ms = remaining_ms + _CLOCK_LEEWAY_SECONDS * 1000
        if not await self._spent.spend(settings.event_id, challenge_id, keep_ms):
            raise ChallengeRefused("this challenge was used already; get a new one")
        self._metrics.challenges_solved.inc()

    def _authentic(self, event_id: str, challenge: str) -> tuple[str, int]:
        """The challenge's id and how long it stays valid, in ms."""
        challenge_id, _, rest = challenge.partition(".")
        expires, _, signature = rest.partition(".")
        expected = self._challenge_signature(event_id, f"{challenge_id}.{expires}")
        if not hmac.compare_digest(signature.encode(), expected.encode()):
            raise ChallengeRefused("this challenge was not issued for this sale")
        remaining = int(expires) - self._clock.now_ms()
        if remaining <= 0:
            raise ChallengeRefused("this challenge expired; get a new one")
        return challenge_id, remaining

    def _challenge_signature(self, event_id: str, signed: str) -> str:
        message = f"{event_id}|{signed}".encode()
        return _b64(hmac.digest(self._challenge_key, message, hashlib.sha256))

    # -- entry grants -------------------------------------------------------------------

    def grant_key(self, event_id: str) -> str:
        """The key the operator's site signs ``event_id``'s entry grants with (HS256)."""
        return _b64(hmac.digest(self._grant_key, event_id.encode(), hashlib.sha256))

    def check_grant(self, settings: EventSettings, user_id: str, grant: str | None) -> None:
        """Passes an entry of ``user_id`` when ``settings``' sale needs no grant or the grant
        is valid for this user and sale; raises ``GrantRefused``."""
        if not settings.entry_grant_required:
            return
        if not grant:
            raise GrantRefused("this sale admits only users its operator signed in: no entryGrant")
        claims = self._grant_claims(settings.event_id, grant)
        if claims.evt != settings.event_id or claims.sub != user_id:
            raise GrantRefused("the entry grant names another user or sale")
        if (claims.exp + _CLOCK_LEEWAY_SECONDS) * 1000 <= self._clock.now_ms():
            raise GrantRefused("the entry grant expired")

    def _grant_claims(self, event_id: str, grant: str) -> _GrantClaims:
        try:
            header, payload, signature = grant.split(".")
            if _decode_grant_header(_unb64(header)).alg != "HS256":
                raise ValueError("not HS256")
            key = self.grant_key(event_id).encode()
            expected = _b64(hmac.digest(key, f"{header}.{payload}".encode(), hashlib.sha256))
            if not hmac.compare_digest(signature.encode(), expected.encode()):
                raise ValueError("wrong signature")
            return _decode_grant(_unb64(payload))
        except (ValueError, msgspec.MsgspecError):
            raise GrantRefused("the entry grant is not a valid grant of this sale") from None
