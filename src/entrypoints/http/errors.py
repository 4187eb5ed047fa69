"""Refusals that belong to the HTTP edge, not to the sale's rules."""

from __future__ import annotations

from ticketing_core.errors import DomainError


class InvalidToken(DomainError):
    code = "invalid_token"
    title = "Invalid queue token"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Unauthorized"


class RateLimited(DomainError):
    """A client spent its request budget (``ticketing_entrypoints.http.limits``)."""

    code = "rate_limited"
    title = "Too many requests"

    def __init__(self, detail: str, retry_after_seconds: int) -> None:
        super().__init__(detail)
        self.retry_after_seconds = retry_after_seconds


class WorkRequired(DomainError):
    """The sale asks for proof of work, and the entry brought none."""

    code = "work_required"
    title = "Proof of work required"


class ChallengeRefused(DomainError):
    """The entry's challenge is not one this server issued for this sale, ran out, or was
    used already."""

    code = "challenge_refused"
    title = "Challenge refused"


class WorkInsufficient(DomainError):
    code = "work_insufficient"
    title = "Not enough work"


class GrantRefused(DomainError):
    """The sale needs an entry grant from the operator's site naming the user, and the entry
    brought none that is valid."""

    code = "grant_refused"
    title = "Entry grant refused"


class TooManyStreams(RateLimited):
    """A client address holds as many open position streams as one process allows it."""

    code = "too_many_streams"
    title = "Too many open streams"
