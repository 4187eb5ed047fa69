"""The web client's files as the app serves them: pages, scripts and styles, outside the API."""

from __future__ import annotations

import httpx
import pytest

pytestmark = pytest.mark.anyio


@pytest.mark.parametrize(("path", "script"), [("/", "buyer.js"), ("/admin", "admin.js")])
async def test_each_page_is_html_that_runs_only_its_own_scripts(
    client: httpx.AsyncClient, path: str, script: str
) -> None:
    response = await client.get(path)

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    policy = response.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert f'<script type="module" src="/static/{script}"></script>' in response.text
    assert "onclick" not in response.text


@pytest.mark.parametrize(
    ("name", "media_type"),
    [
        ("api.js", "text/javascript"),
        ("buyer.js", "text/javascript"),
        ("admin.js", "text/javascript"),
        ("style.css", "text/css"),
    ],
)
async def test_scripts_and_styles_are_served_for_browsers_to_revalidate(
    client: httpx.AsyncClient, name: str, media_type: str
) -> None:
    response = await client.get(f"/static/{name}")

    assert response.status_code == 200
    assert response.headers["content-type"].startswith(media_type)
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["etag"]


async def test_the_web_client_is_not_part_of_the_api_document(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/schema/openapi.json")).json()["paths"]

    assert all(path.startswith(("/api/", "/health/", "/metrics")) for path in paths), paths
