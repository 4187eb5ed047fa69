"""Hostile input on every route (issue 11): never a 5xx, always a stable problem, nothing
stored, a short log.

Schemathesis (``test_openapi_conformance``) generates what the OpenAPI document describes. The
properties here generate what it never does (``tests/api/hostile.py``): JSON as raw text
nested 100,000 deep or with a key twice, numbers past every bound of SPEC section 4, dates at
the edges of a ``datetime`` with every offset, control and format characters in every string
and header, wrong content types, encoded separators and NUL in paths, on every route of the
app, the OpenAPI document's and the pages'. For every generated request:

- the answer is never a 5xx; a 4xx is ``application/problem+json`` with a code of
  ``KNOWN_CODES`` (an unknown code fails);
- a refused request stored nothing: the number of events, the newest page of the list and the
  stats of the test's sale are as before (and a refused create left no event behind);
- the server's log grew by at most ``LOG_BUDGET_BYTES``, with no traceback for a refusal and
  no raw line break or control character from the client.

Then one deterministic regression test for each finding of the issue. Every test runs on the
memory and the Redis backend (``tests/api/conftest.py``).
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx
import msgspec
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from litestar import Litestar, get
from litestar.params import FromPath

from tests.api import hostile
from tests.api.support import EVENTS, PROBLEM, Sale, assert_problem, serving
from tests.support.http import ADMIN, ADMIN_KEY, TOKEN_SECRET, unique_event_id
from ticketing_core.errors import ERRORS_BY_CODE
from ticketing_entrypoints.bootstrap import create_app
from ticketing_entrypoints.http.problems import DOMAIN_STATUS, HTTP_CODE
from ticketing_entrypoints.http.tokens import QueueTokens
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

KNOWN_CODES = (set(DOMAIN_STATUS) | set(HTTP_CODE.values()) | set(ERRORS_BY_CODE)) - {
    "not_in_queue",
    "internal_error",
}
"""The stable codes a refusal may carry, from the app's own tables (``problems.py``,
``ticketing_core/errors.py``). ``not_in_queue`` travels as ``invalid_token``, and
``internal_error`` is a 500: neither may answer hostile input."""

LOG_BUDGET_BYTES = 1_000
"""What one bad request may add to the server's log, tracebacks included."""

CLIENT_LOGGERS = ("httpx", "httpcore")
"""The test's client logs each request it sends; that is not the server's log."""

UNSAFE_IN_A_LOG = frozenset(("Cc", "Cf", "Zl", "Zp", "Cs"))

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS", "TRACE", "PR\x00PFIND")
BASE = httpx.URL("http://testserver")
EXAMPLES = 150
"""Per property and backend. The whole module (three properties and the regressions, on both
backends) takes about 15 s on a fast machine; ``make test`` on a slow 2-core machine must
stay under 2 minutes for it. Examples are derandomized: every run sends the same requests."""

HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    # The fixtures (an app, its client, one sale with an admitted user) are built once per
    # test, not per example, on purpose: each example is one request against a running app,
    # and the property itself checks that a refused request changed nothing of that state.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class LogMeter(logging.Handler):
    """Counts what the server writes to the log: every record as a formatter writes it, with
    its traceback (``exc_text``) and stack, in UTF-8 bytes."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        self.records: list[logging.LogRecord] = []
        self.bytes = 0

    def emit(self, record: logging.LogRecord) -> None:
        if record.name.partition(".")[0] in CLIENT_LOGGERS:
            return
        self.bytes += len(self.format(record).encode("utf-8", "backslashreplace")) + 1
        self.records.append(record)

    def reset(self) -> None:
        self.records.clear()
        self.bytes = 0


@contextmanager
def metering() -> Iterator[LogMeter]:
    """A ``LogMeter`` on the root logger at INFO, as a production log runs."""
    meter = LogMeter()
    root = logging.getLogger()
    level = root.level
    root.addHandler(meter)
    root.setLevel(logging.INFO)
    try:
        yield meter
    finally:
        root.removeHandler(meter)
        root.setLevel(level)


@pytest.fixture
def log_meter(client: httpx.AsyncClient) -> Iterator[LogMeter]:
    """After the client: the app's logging configuration (applied as it starts) is in place."""
    with metering() as meter:
        yield meter


@dataclass
class Stage:
    """One sale; ``ann`` is admitted (her token reaches every check behind the token), ``bob``
    waits (his token is the one a generated request may use to leave)."""

    client: httpx.AsyncClient
    event_id: str
    ann: str
    bob: str
    absent_event: str = field(default_factory=lambda: unique_event_id("absent"))

    async def snapshot(self) -> tuple[str, object, dict[str, Any]]:
        """What a refused request must not change: how many events, the newest of them (a
        stored broken event would break this page), the sale's stats."""
        listed = await self.client.get(EVENTS, params={"limit": 1, "order": "newest"})
        assert listed.status_code == 200, listed.text
        sale = await self.client.get(f"{EVENTS}/{self.event_id}")
        assert sale.status_code == 200, sale.text
        stats: dict[str, Any] = sale.json()["stats"]
        return listed.headers["X-Total-Count"], listed.json(), stats


@pytest.fixture
async def stage(sale: Sale, show: str) -> Stage:
    await sale.create_event(eventId=show, totalSeats=1_000, maxPerUser=100, maxActiveUsers=10)
    ann = (await sale.admitted(show, "ann"))["ann"]
    bob = (await sale.enter(show, "bob"))["token"]
    return Stage(sale.client, show, ann, bob)


@dataclass(frozen=True)
class Route:
    method: str
    template: str
    """With ``{name}`` for each path parameter."""
    query: tuple[str, ...] = ()
    admin: bool = False
    queue_token: bool = False


def routes_of(app: Litestar) -> list[Route]:
    """Every operation of the OpenAPI document (whatever has landed in it by now), then every
    route it leaves out (pages, static files, the document's own pages)."""
    routes = []
    document = app.openapi_schema
    for template, item in (document.paths or {}).items():
        for method in ("get", "post", "put", "patch", "delete"):
            operation = getattr(item, method)
            if operation is None:
                continue
            schemes = {name for requirement in operation.security or () for name in requirement}
            parameters = operation.parameters or []
            query = tuple(p.name for p in parameters if getattr(p, "param_in", None) == "query")
            routes.append(
                Route(
                    method.upper(),
                    template,
                    query=query,
                    admin="adminKey" in schemes,
                    queue_token="queueToken" in schemes,
                )
            )
    documented = set(document.paths or {})
    for route in app.routes:
        template = re.sub(r"\{(\w+):\w+\}", r"{\1}", route.path)
        if template in documented:
            continue
        methods: set[str] = getattr(route, "methods", set())
        routes.extend(Route(method, template) for method in sorted(methods - {"OPTIONS"}))
    return routes


SALE = "{sale}"
NEW_EVENT = "{new-event}"
"""Placeholders in generated bodies, replaced as an example runs: the test's sale, and a
fresh event id per create request (so that "it was not stored" can be checked by its id)."""

VALID_BODIES: dict[str, dict[str, str | int]] = {
    EVENTS: {"eventId": NEW_EVENT, "name": "Hostile", "totalSeats": 5},
    "/api/v1/queue/enter": {"eventId": SALE, "userId": "carol"},
    "/api/v1/tickets/reserve": {"eventId": SALE, "quantity": 1},
}
STREAM = "/api/v1/queue/stream"
QUEUE = "/api/v1/queue"
VALID_IDEMPOTENCY_KEY = b"key-1"


def parameters(template: str) -> list[str]:
    return re.findall(r"\{(\w+)\}", template)


def fill(route: Route, stage: Stage, parameter: str) -> str:
    """A path parameter's ordinary value: the sale, a reservation nobody has, a shipped file."""
    if parameter == "event_id":
        # Deleting the sale would end the test: a DELETE names an event that does not exist.
        return stage.absent_event if route.method == "DELETE" else stage.event_id
    shipped = {"file_path": "style.css", "file": "swagger-init.js", "path": "openapi.json"}
    return shipped.get(parameter, "no-such-id")


def queue_token_of(route: Route, stage: Stage) -> bytes:
    """Ann's, except to leave: bob leaves, so that ann stays admitted for the whole test."""
    leaving = route.method == "DELETE" and route.template == QUEUE
    return (stage.bob if leaving else stage.ann).encode()


def sane_headers(route: Route, stage: Stage) -> dict[str, bytes]:
    headers = {}
    if route.admin:
        headers["Authorization"] = ADMIN["Authorization"].encode()
    if route.queue_token:
        headers["X-Queue-Token"] = queue_token_of(route, stage)
    if route.template in VALID_BODIES and route.method == "POST":
        headers["Content-Type"] = b"application/json"
    return headers


def with_ids(body: bytes, stage: Stage, new_event: str) -> bytes:
    return body.replace(SALE.encode(), stage.event_id.encode()).replace(
        NEW_EVENT.encode(), new_event.encode()
    )


def sane_body(route: Route) -> bytes:
    valid = VALID_BODIES.get(route.template) if route.method == "POST" else None
    return b"" if valid is None else msgspec.json.encode(valid)


def opens_a_stream(token: bytes) -> bool:
    """A valid token would open an event stream that does not end: never send one."""
    try:
        QueueTokens(TOKEN_SECRET).verify(token.decode("latin-1"))
    except Exception:
        return False
    return True


@dataclass
class Sent:
    method: str
    raw_path: bytes
    headers: dict[str, bytes]
    body: bytes = b""
    creates: str | None = None
    """The event id a create request names: after a refusal, it must not exist."""

    def __repr__(self) -> str:
        return (
            f"{self.method!r} {_cut(self.raw_path)} headers={self.headers!r} body={_cut(self.body)}"
        )


def _cut(raw: bytes, shown: int = 300) -> str:
    return f"{raw[:shown]!r}{'...' if len(raw) > shown else ''} ({len(raw)} B)"


async def check(stage: Stage, meter: LogMeter, sent: Sent) -> httpx.Response:
    """Sends ``sent`` and asserts the properties of the module docstring."""
    before = await stage.snapshot()
    request = stage.client.build_request(
        sent.method,
        BASE.copy_with(raw_path=sent.raw_path),
        headers=[(name.encode(), value) for name, value in sent.headers.items()],
        content=sent.body,
    )
    meter.reset()
    with anyio.fail_after(10):
        # Status and headers first: an event stream would not end (none may open here).
        response = await stage.client.send(request, stream=True)
        try:
            streaming = response.headers.get("content-type", "").startswith("text/event-stream")
            body = b"" if streaming else await response.aread()
        finally:
            await response.aclose()
    records, logged = list(meter.records), meter.bytes
    status = response.status_code
    assert status < 500, f"{status} for {sent!r}: {body[:2000]!r}"
    assert not streaming, f"a hostile request opened an event stream: {sent!r}"
    if status >= 400:
        assert_stable_problem(sent, response, body)
    assert logged <= LOG_BUDGET_BYTES, f"{logged} bytes of log for {sent!r}: {records!r}"
    for record in records:
        message = record.getMessage()
        assert not {unicodedata.category(c) for c in message} & UNSAFE_IN_A_LOG, repr(message)
        assert record.exc_info is None or status >= 500, f"a traceback for {sent!r}: {message}"
    if status >= 400:
        assert await stage.snapshot() == before, f"{sent!r} was refused ({status}) but stored"
        if sent.creates is not None:
            left = await stage.client.get(f"{EVENTS}/{sent.creates}")
            assert left.status_code == 404, f"{sent!r} was refused ({status}) but stored"
    return response


def assert_stable_problem(sent: Sent, response: httpx.Response, body: bytes) -> None:
    where = f"{response.status_code} for {sent!r}: {body[:500]!r}"
    assert response.headers.get("content-type", "").startswith(PROBLEM), where
    if sent.method == "HEAD":
        assert body == b"", where
        return
    problem = msgspec.json.decode(body)
    assert problem["status"] == response.status_code, where
    assert problem["code"] in KNOWN_CODES, f"unknown code {problem['code']!r}: {where}"
    assert problem["type"] == f"urn:ticketing:problem:{problem['code']}", where
    assert isinstance(problem["title"], str), where
    assert isinstance(problem["detail"], str), where
    assert problem["title"], where
    assert problem["detail"], where
    assert b"Traceback" not in body, where


# --- Generated requests -------------------------------------------------------------------


ROUTES = routes_of(
    create_app(
        Settings(
            admin_key=ADMIN_KEY,
            token_secret=TOKEN_SECRET,
            redis_url=None,
            kafka_bootstrap=None,
            database_url=None,
            drivers=False,
            rate_limits=False,  # every hostile case must reach its handler
        )
    )
)
"""Every route of the app as the code stands (``test_the_routes_are_the_apps`` holds the
fixture's app to it): the strategies need the list before any app runs."""
JSON_ROUTES = [route for route in ROUTES if sane_body(route)]
HEADER_NAMES = ("X-Queue-Token", "Idempotency-Key", "Authorization")


@dataclass(frozen=True)
class Recipe:
    """A generated request, with placeholders for what only the running test knows: path
    parameters as ``{name}`` (their ordinary value), ``hostile.VALID`` in a header, ``SALE``
    and ``NEW_EVENT`` in a body."""

    route: Route
    method: str
    path: str
    headers: tuple[tuple[str, bytes | None], ...] = ()
    """Over the route's sane headers; ``None`` drops one."""
    body: bytes | None = None
    """``None``: the route's sane body."""
    stream_token: bytes | None = None

    def sent(self, stage: Stage) -> Sent | None:
        """The request to send; ``None`` if it would open a stream with a valid token."""
        route = self.route
        path = self.path
        for name in parameters(route.template):
            path = path.replace(f"{{{name}}}", fill(route, stage, name))
        valid = {
            "X-Queue-Token": queue_token_of(route, stage),
            "Idempotency-Key": VALID_IDEMPOTENCY_KEY,
            "Authorization": ADMIN["Authorization"].encode(),
        }
        headers = sane_headers(route, stage)
        for name, value in self.headers:
            if value is None:
                headers.pop(name, None)
            else:
                headers[name] = hostile.materialize(value, valid.get(name, b""))
        if self.stream_token is not None:
            token = hostile.materialize(self.stream_token, stage.ann.encode())
            if opens_a_stream(token):
                return None
            path += "?token=" + "".join(f"%{byte:02X}" for byte in token)
        creates = unique_event_id("hostile") if route.template == EVENTS else None
        body = sane_body(route) if self.body is None else self.body
        return Sent(
            self.method, path.encode(), headers, with_ids(body, stage, creates or ""), creates
        )


@st.composite
def body_recipes(draw: st.DrawFn) -> Recipe:
    route = draw(st.sampled_from(JSON_ROUTES))
    content_type = draw(hostile.content_types)
    body = draw(hostile.hostile_bodies(VALID_BODIES[route.template]))
    return Recipe(route, route.method, route.template, (("Content-Type", content_type),), body)


@st.composite
def header_recipes(draw: st.DrawFn) -> Recipe:
    route = draw(st.sampled_from(ROUTES))
    headers = []
    for name in HEADER_NAMES:
        choice = draw(st.sampled_from(("keep", "drop", "hostile")))
        if choice != "keep":
            headers.append((name, None if choice == "drop" else draw(hostile.header_values())))
    stream_token = draw(hostile.header_values()) if route.template == STREAM else None
    return Recipe(route, route.method, route.template, tuple(headers), stream_token=stream_token)


@st.composite
def path_recipes(draw: st.DrawFn) -> Recipe:
    route = draw(st.sampled_from(ROUTES))
    path = route.template
    if draw(st.booleans()):
        # Anywhere outside a parameter's placeholder.
        cuts = [i for i in range(1, len(path) + 1) if path[:i].count("{") == path[:i].count("}")]
        cut = draw(st.sampled_from(cuts))
        path = path[:cut] + draw(hostile.path_segments) + path[cut:]
    for name in parameters(route.template):
        ordinary = f"{{{name}}}"
        segment = draw(
            st.one_of(hostile.path_segments, hostile.path_segments.map(ordinary.__add__))
        )
        path = path.replace(ordinary, segment.replace("{", "%7B"), 1)
    query: list[str] = []
    for name in route.query:
        if draw(st.booleans()):
            query.append(f"{name}={draw(hostile.path_segments)}")
    twice: bool = draw(st.booleans())
    if query and twice:
        query.append(query[0])
    if query:
        path += "?" + "&".join(query)
    method = draw(st.one_of(st.just(route.method), st.sampled_from(METHODS)))
    return Recipe(route, method, path)


# --- Properties ---------------------------------------------------------------------------


async def run(recipe: Recipe, stage: Stage, meter: LogMeter) -> None:
    sent = recipe.sent(stage)
    if sent is not None:
        await check(stage, meter, sent)


@HYPOTHESIS
@given(recipe=body_recipes())
async def test_hostile_json_bodies_are_refused_cleanly(
    stage: Stage, log_meter: LogMeter, recipe: Recipe
) -> None:
    """Deep nesting (also in an extra field), numbers past every bound, edge dates, control
    characters in every field, duplicate keys, non-objects, wrong content types."""
    await run(recipe, stage, log_meter)


@HYPOTHESIS
@given(recipe=header_recipes())
async def test_hostile_headers_are_refused_cleanly(
    stage: Stage, log_meter: LogMeter, recipe: Recipe
) -> None:
    """X-Queue-Token, Idempotency-Key and Authorization absent, valid or any bytes at all
    (near-valid ones included), and hostile stream tokens, on every route."""
    await run(recipe, stage, log_meter)


@HYPOTHESIS
@given(recipe=path_recipes())
async def test_hostile_paths_and_queries_are_refused_cleanly(
    stage: Stage, log_meter: LogMeter, recipe: Recipe
) -> None:
    """Encoded separators, NUL, line breaks and dot segments in path parameters and anywhere
    in a path, hostile query values (paging, the stream's token), other methods; every route."""
    await run(recipe, stage, log_meter)


def test_the_routes_are_the_apps(app: Litestar) -> None:
    """The generated requests cover every route of the app under test, pages included."""
    assert routes_of(app) == ROUTES
    templates = {route.template for route in ROUTES}
    assert {EVENTS, "/api/v1/queue/enter", STREAM, "/static/{file_path}", "/admin"} <= templates


# --- Regressions: one per finding of issue 11, each failed before its fix ---------------------


def json_route_request(stage: Stage, template: str, body: bytes) -> Sent:
    """A POST of ``body`` (placeholders allowed) to a JSON route, authorized as it needs."""
    route = next(route for route in JSON_ROUTES if route.template == template)
    sent = Recipe(route, "POST", template, body=body).sent(stage)
    assert sent is not None
    return sent


def valid_body(template: str) -> dict[str, Any]:
    return dict(VALID_BODIES[template])


def with_field(valid: dict[str, Any], name: bytes, value: bytes) -> bytes:
    """``valid`` as JSON with one more member, written as given (so it may repeat a key)."""
    return msgspec.json.encode(valid)[:-1] + b',"' + name + b'":' + value + b"}"


@pytest.mark.parametrize("template", list(VALID_BODIES))
@pytest.mark.parametrize("depth", [490, 1_000])
@pytest.mark.parametrize("where", ["body", "extra field"])
async def test_deep_nesting_is_a_400_with_a_one_line_log(
    stage: Stage, log_meter: LogMeter, template: str, depth: int, where: str
) -> None:
    """Finding 1: a RecursionError (500) and ~200 KB of traceback per request."""
    nested = b"[" * depth + b"]" * depth
    body = nested if where == "body" else with_field(valid_body(template), b"extra", nested)

    response = await check(stage, log_meter, json_route_request(stage, template, body))

    assert_problem(response, 400, "validation_error")
    [record] = log_meter.records
    assert record.levelno == logging.INFO


@pytest.mark.parametrize("opens_at", ["9999-12-31T23:30:00-01:00", "0001-01-01T00:30:00+01:00"])
async def test_an_opening_past_what_utc_can_hold_is_refused_and_not_stored(
    stage: Stage, log_meter: LogMeter, opens_at: str
) -> None:
    """Finding 2: a 500, the event stored anyway, and from then on its page and the list 500."""
    body = msgspec.json.encode({**valid_body(EVENTS), "opensAt": opens_at})
    total = (await stage.client.get(EVENTS)).headers["X-Total-Count"]
    sent = json_route_request(stage, EVENTS, body)

    response = await check(stage, log_meter, sent)

    assert_problem(response, 400, "validation_error")
    assert_problem(await stage.client.get(f"{EVENTS}/{sent.creates}"), 404, "event_not_found")
    listed = await stage.client.get(EVENTS, params={"limit": 500})
    assert listed.status_code == 200, listed.text
    assert listed.headers["X-Total-Count"] == total
    assert sent.creates not in {event["eventId"] for event in listed.json()}


@pytest.mark.parametrize("path", [b"/static/%00", b"/static/a%00b"])
async def test_a_nul_in_a_static_path_is_a_404_problem(
    stage: Stage, log_meter: LogMeter, path: bytes
) -> None:
    """Finding 3: ``ValueError: embedded null byte`` from the static-file handler, a 500."""
    response = await check(stage, log_meter, Sent("GET", path, {}))

    assert_problem(response, 404, "not_found")


@pytest.mark.parametrize(
    "path", [b"/static/x%0aCRITICAL%20forged%00", b"/api/v1/nowhere%0d%0aCRITICAL%20forged%00"]
)
async def test_a_line_break_in_a_path_forges_no_log_line(
    stage: Stage, log_meter: LogMeter, path: bytes
) -> None:
    """Finding 4: the path went to the log as it came, line breaks and NUL included (the
    static one answered 500 and logged it raw); a refusal is now logged, in one line."""
    response = await check(stage, log_meter, Sent("GET", path, {}))

    assert_problem(response, 404, "not_found")
    [line] = [log_meter.format(record) for record in log_meter.records]
    assert "CRITICAL forged\\x00" in line  # the path is there, escaped
    assert "\n" not in line
    assert "\r" not in line
    assert "\x00" not in line


@pytest.mark.parametrize("character", [b"%f0%9f%98%80", b"%00", b"%e2%80%ae"])
async def test_a_path_of_escapes_costs_the_log_a_bounded_line(
    stage: Stage, log_meter: LogMeter, character: bytes
) -> None:
    """Found by this suite: the log quoted 200 *characters* of the path, each escaped to up to
    ten (``\\U0001f600``), so a path of emoji wrote a 2 KB line; now 200 escaped characters."""
    response = await check(stage, log_meter, Sent("GET", b"/" + character * 1_000, {}))

    assert_problem(response, 404, "not_found")
    [line] = [log_meter.format(record) for record in log_meter.records]
    assert re.search(r"\.\.\.\(\+\d+ characters\)$", line), line  # says what was left out
    assert len(line.encode()) <= 400


async def test_an_unexpected_error_keeps_one_traceback_and_an_escaped_path(app: Litestar) -> None:
    """Finding 4, where a traceback is logged: one record has it, the path escaped."""

    @get("/test/crash/{rest:path}", sync_to_thread=False)
    def crash(rest: FromPath[str]) -> None:
        raise RuntimeError("crashed on purpose")

    app.register(crash)
    async with serving(app) as client:
        with metering() as meter:
            response = await client.get(BASE.copy_with(raw_path=b"/test/crash/a%0aCRITICAL%00"))

    assert_problem(response, 500, "internal_error")
    [record] = [record for record in meter.records if record.exc_info]
    message = record.getMessage()
    assert "/test/crash/a\\nCRITICAL\\x00" in message
    assert "\n" not in message
    assert "\x00" not in message


@pytest.mark.parametrize(
    ("template", "field", "value"),
    [
        ("/api/v1/queue/enter", "userId", "bob\n"),
        ("/api/v1/queue/enter", "eventId", f"{SALE}\n"),
        ("/api/v1/tickets/reserve", "eventId", f"{SALE}\n"),
        (EVENTS, "eventId", f"{NEW_EVENT}\n"),
    ],
)
async def test_an_id_ending_in_a_newline_is_refused(
    stage: Stage, log_meter: LogMeter, template: str, field: str, value: str
) -> None:
    """Finding 5: ``$`` also matches before a final newline; "bob\\n" got a token and a hold."""
    body = msgspec.json.encode({**valid_body(template), field: value})

    response = await check(stage, log_meter, json_route_request(stage, template, body))

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize("template", list(VALID_BODIES))
async def test_a_key_named_twice_is_refused(
    stage: Stage, log_meter: LogMeter, template: str
) -> None:
    """Finding 6: duplicate keys were accepted, the last one winning."""
    valid = valid_body(template)
    body = with_field(valid, next(iter(valid)).encode(), b'"other"')

    response = await check(stage, log_meter, json_route_request(stage, template, body))

    assert_problem(response, 400, "validation_error")


@pytest.mark.parametrize("template", list(VALID_BODIES))
async def test_a_json_body_declared_as_text_is_415(
    stage: Stage, log_meter: LogMeter, template: str
) -> None:
    """Finding 6: a JSON body was read whatever its Content-Type said."""
    sent = json_route_request(stage, template, msgspec.json.encode(valid_body(template)))
    sent.headers["Content-Type"] = b"text/plain"

    response = await check(stage, log_meter, sent)

    assert_problem(response, 415, "unsupported_media_type")


def test_the_stable_codes_are_the_apps() -> None:
    """Taken from the app's own tables, so that a new domain code is known here at once."""
    assert {"validation_error", "invalid_token", "unauthorized", "not_found"} <= KNOWN_CODES
    assert {"payload_too_large", "unsupported_media_type", "method_not_allowed"} <= KNOWN_CODES
    assert not {"not_in_queue", "internal_error"} & KNOWN_CODES
