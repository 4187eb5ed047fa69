"""The API documentation at ``/schema`` as the app serves it: one Swagger UI page, all of it from
this origin (swagger-ui's files from the installed ``swagger-ui-bundle-v2``), under the web
client's Content-Security-Policy; anything else under ``/schema`` is a problem, never HTML."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import httpx
import pytest

from tests.api.support import assert_problem
from ticketing_entrypoints.http.openapi import SWAGGER_UI
from ticketing_entrypoints.http.web import CONTENT_SECURITY_POLICY

pytestmark = pytest.mark.anyio


class Page(HTMLParser):
    """What a page makes a browser load or run: every URL it names, and any inline code."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []
        self.inline: list[str] = []
        self._script_without_src = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = dict(attrs)
        self.urls += [value or "" for name, value in attrs if name in {"src", "href", "action"}]
        self.inline += [f"{tag} {name}" for name, _ in attrs if name == "style" or name[:2] == "on"]
        if tag == "style":
            self.inline.append("style element")
        self._script_without_src = tag == "script" and "src" not in names

    def handle_data(self, data: str) -> None:
        if self._script_without_src and data.strip():
            self.inline.append(f"script: {data.strip()[:40]}")

    def handle_endtag(self, tag: str) -> None:
        self._script_without_src = False


async def page(client: httpx.AsyncClient, path: str) -> tuple[httpx.Response, Page]:
    response = await client.get(path)
    parsed = Page()
    parsed.feed(response.text)
    return response, parsed


@pytest.mark.parametrize("path", ["/schema", "/schema/", "/schema/swagger"])
async def test_the_swagger_page_loads_nothing_from_elsewhere_and_runs_no_inline_code(
    client: httpx.AsyncClient, path: str
) -> None:
    response, parsed = await page(client, path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert parsed.inline == []
    assert parsed.urls, response.text
    assert all(url.startswith("/") and not url.startswith("//") for url in parsed.urls)
    assert not re.search(r"https?:|//[a-z]", response.text, re.IGNORECASE), response.text
    assert 'data-spec-url="/schema/openapi.json"' in response.text


async def test_everything_the_page_names_is_served_here(client: httpx.AsyncClient) -> None:
    _, parsed = await page(client, "/schema")
    expected = {".js": "text/javascript", ".css": "text/css", ".png": "image/png"}

    for url in parsed.urls:
        response = await client.get(url)
        assert response.status_code == 200, url
        media_type = expected[url[url.rindex(".") :]]
        assert response.headers["content-type"].startswith(media_type), url
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["cache-control"] == "no-cache"
        assert response.headers["etag"]


async def test_swagger_ui_is_the_installed_distribution_unchanged(
    client: httpx.AsyncClient,
) -> None:
    for name in ("swagger-ui-bundle.js", "swagger-ui.css"):
        response = await client.get(f"/schema/assets/{name}")
        assert response.content == (SWAGGER_UI / name).read_bytes()


@pytest.mark.parametrize(
    "path",
    [
        "/schema/nope",
        "/schema/openapi.nope",
        "/schema/openapi.yaml",
        "/schema/swagger/x",
        "/schema/nope/deeper",
        "/schema/oauth2-redirect.html",
        # Litestar's other pages load their scripts from CDNs: none of them is served.
        "/schema/redoc",
        "/schema/elements",
        "/schema/rapidoc",
        "/schema/scalar",
        # Only the files the page loads, by name: not the rest of the distribution.
        "/schema/assets/index.html",
        "/schema/assets/swagger-initializer.js",
        "/schema/assets/swagger-ui-bundle.js.map",
        "/schema/assets/..%2F..%2F__init__.py",
        "/schema/assets/",
    ],
)
async def test_anything_else_under_schema_is_a_not_found_problem(
    client: httpx.AsyncClient, path: str
) -> None:
    assert_problem(await client.get(path), 404, "not_found")


async def test_another_method_on_an_unknown_schema_path_is_not_found_either(
    client: httpx.AsyncClient,
) -> None:
    assert_problem(await client.post("/schema/nope"), 404, "not_found")
