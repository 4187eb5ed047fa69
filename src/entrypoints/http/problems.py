"""Every refusal becomes an RFC 9457 ``application/problem+json`` body, here and nowhere else."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from http import HTTPStatus
from typing import Any

import msgspec
from litestar import Request, Response
from litestar.exceptions import HTTPException
from litestar.types import ExceptionHandlersMap

from ticketing_core.errors import DomainError
from ticketing_entrypoints.http.errors import RateLimited
from ticketing_entrypoints.http.loggable import loggable

log = logging.getLogger(__name__)

PROBLEM_MEDIA_TYPE = "application/problem+json"

DOMAIN_STATUS: dict[str, int] = {
    "validation_error": 400,
    "unauthorized": 401,
    "invalid_token": 401,
    "not_admitted": 403,
    "event_not_found": 404,
    "reservation_not_found": 404,
    "event_exists": 409,
    "event_has_reservations": 409,
    "sold_out": 409,
    "insufficient_seats": 409,
    "limit_exceeded": 409,
    "hold_expired": 409,
    "invalid_state": 409,
    "sale_closed": 409,
    "work_required": 403,
    "challenge_refused": 403,
    "work_insufficient": 403,
    "grant_refused": 403,
    "code_required": 403,
    "invalid_code": 403,
    "code_exists": 409,
    "rate_limited": 429,
    "too_many_streams": 429,
}
"""HTTP status of each domain (and edge) error code, SPEC section 5."""

HTTP_CODE: dict[int, str] = {
    400: "validation_error",
    401: "unauthorized",
    404: "not_found",
    405: "method_not_allowed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    500: "internal_error",
}
"""Codes for refusals raised by the framework itself (routing, body parsing, size limit)."""

CHALLENGES: dict[str, str] = {
    "unauthorized": 'Bearer realm="admin"',
    "invalid_token": 'X-Queue-Token realm="queue"',
}
"""A 401 names how to authenticate (RFC 9110, section 11.6.1)."""


class Problem(msgspec.Struct, kw_only=True, omit_defaults=True):
    """RFC 9457 problem details, with the stable machine-readable ``code`` of SPEC section 5."""

    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str | None = None
    errors: list[dict[str, Any]] | None = None
    """For ``validation_error``: which input was refused and why."""


def problem_response(
    request: Request[Any, Any, Any],
    *,
    status: int,
    code: str,
    title: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
) -> Response[Problem]:
    challenge = CHALLENGES.get(code)
    if challenge is not None and status == 401:
        headers = {**(headers or {}), "WWW-Authenticate": challenge}
    return Response(
        Problem(
            type=f"urn:ticketing:problem:{code}",
            title=title,
            status=status,
            detail=detail,
            code=code,
            instance=request.url.path,
            errors=errors,
        ),
        status_code=status,
        media_type=PROBLEM_MEDIA_TYPE,
        headers=headers,
    )


def domain_problem(request: Request[Any, Any, Any], error: DomainError) -> Response[Problem]:
    if error.code == "validation_error":
        _log_bad_request(request, 400, error.code)
    if error.code == "not_in_queue":
        # The token is sound but its place is gone (left, or never entered): enter again.
        return problem_response(
            request,
            status=401,
            code="invalid_token",
            title="Invalid queue token",
            detail="this token no longer holds a place in the queue; enter the queue again",
        )
    return problem_response(
        request,
        # A code this table does not know yet is still a rule refusing the request.
        status=DOMAIN_STATUS.get(error.code, 409),
        code=error.code,
        title=error.title,
        detail=error.detail,
        headers=(
            {"Retry-After": str(error.retry_after_seconds)}
            if isinstance(error, RateLimited)
            else None
        ),
    )


def http_problem(request: Request[Any, Any, Any], error: HTTPException) -> Response[Problem]:
    status = error.status_code
    if status >= 500:
        return unexpected_problem(request, error)
    phrase = _phrase(status)
    code = HTTP_CODE.get(status, phrase.lower().replace(" ", "_").replace("-", "_"))
    detail = error.detail if error.detail and error.detail != phrase else phrase
    errors = error.extra if isinstance(error.extra, list) and error.extra else None
    _log_bad_request(request, status, code)
    return problem_response(
        request,
        status=status,
        code=code,
        title=phrase,
        detail=detail,
        errors=errors,
        headers=error.headers,
    )


def unexpected_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
    # The one traceback of this failure; the method and path are the client's: escaped.
    log.error(
        "unexpected error on %s %s",
        loggable(request.method),
        loggable(request.url.path),
        exc_info=error,
    )
    return problem_response(
        request,
        status=500,
        code="internal_error",
        title="Internal Server Error",
        detail="something went wrong on our side; it was logged",
    )


def _log_bad_request(request: Request[Any, Any, Any], status: int, code: str) -> None:
    """One line, no traceback: a refused request is the client's mistake, not news of ours."""
    log.info(
        "refused %s %s on %s %s", status, code, loggable(request.method), loggable(request.url.path)
    )


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Request refused"


EXCEPTION_HANDLERS: ExceptionHandlersMap = {
    DomainError: domain_problem,
    HTTPException: http_problem,
    Exception: unexpected_problem,
}

RETRY_AFTER_SECONDS = 2
"""What a 503 tells a client to wait: a restarting Redis or PostgreSQL is back in seconds."""

Dependencies = Mapping[str, tuple[type[Exception], ...]]
"""Per dependency a request may need (its name for the client), the errors that say it is
down for now."""


def exception_handlers(unavailable: Dependencies) -> ExceptionHandlersMap:
    """``EXCEPTION_HANDLERS``, and a 503 ``service_unavailable`` with ``Retry-After`` for each
    error of ``unavailable``: a dependency that is down is news for the client, not a bug."""
    handlers = dict(EXCEPTION_HANDLERS)
    for dependency, errors in unavailable.items():
        for error_type in errors:
            handlers[error_type] = _unavailable_problem(dependency)
    return handlers


def _unavailable_problem(
    dependency: str,
) -> Callable[[Request[Any, Any, Any], Exception], Response[Problem]]:
    def unavailable_problem(request: Request[Any, Any, Any], error: Exception) -> Response[Problem]:
        log.warning(
            "%s unavailable on %s %s: %s",
            dependency,
            loggable(request.method),
            loggable(request.url.path),
            loggable(str(error).splitlines()[0] if str(error) else type(error).__name__),
        )
        return problem_response(
            request,
            status=503,
            code="service_unavailable",
            title="Service Unavailable",
            detail=f"{dependency} is unavailable for a moment; retry after "
            f"{RETRY_AFTER_SECONDS} seconds",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )

    return unavailable_problem
