"""Refusals that belong to the HTTP edge, not to the sale's rules."""

from __future__ import annotations

from ticketing_core.errors import DomainError


class InvalidToken(DomainError):
    code = "invalid_token"
    title = "Invalid queue token"


class Unauthorized(DomainError):
    code = "unauthorized"
    title = "Unauthorized"
