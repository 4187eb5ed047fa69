"""The web client (issue 7): a buyer's page at ``/`` and an operator's page at ``/admin``.

Plain HTML, CSS and JavaScript modules shipped as package data in ``static/``: no build step,
nothing to install. The pages call API v1 like any other client. None of these routes is in the
OpenAPI document, which describes the API only.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from litestar import Router, get
from litestar.connection import ASGIConnection
from litestar.datastructures import CacheControlHeader
from litestar.exceptions import NotFoundException
from litestar.handlers import BaseRouteHandler
from litestar.response import File
from litestar.static_files import create_static_files_router

STATIC = Path(__file__).parent / "static"

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
"""The pages run only this package's own scripts and styles: no inline code, nothing third-party."""

REVALIDATE = CacheControlHeader(no_cache=True)
"""Browsers keep the files but ask (by ETag) before each use, so an upgrade shows at once."""


def _page(name: str) -> File:
    return File(
        STATIC / name,
        filename=name,
        content_disposition_type="inline",
        media_type="text/html",
        headers={
            "Content-Security-Policy": CONTENT_SECURITY_POLICY,
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "no-referrer",
        },
    )


@get("/", include_in_schema=False, cache_control=REVALIDATE)
async def buyer_page() -> File:
    return _page("index.html")


@get("/admin", include_in_schema=False, cache_control=REVALIDATE)
async def operator_page() -> File:
    return _page("admin.html")


SHIPPED = frozenset(path.name for path in STATIC.iterdir() if path.is_file())


def only_shipped_files(connection: ASGIConnection[Any, Any, Any, Any], _: BaseRouteHandler) -> None:
    """A static path reaches the file system only when it names a file this package ships:
    anything else (a NUL byte, an encoded separator, a path into a folder) is a 404 here,
    before ``os.stat`` could fail on it."""
    if str(connection.path_params.get("file_path", "")).lstrip("/") not in SHIPPED:
        raise NotFoundException()


def web_client() -> Router:
    """The two pages and, under ``/static``, the scripts and styles they load."""
    assets = create_static_files_router(
        path="/static",
        directories=[STATIC],
        include_in_schema=False,
        cache_control=REVALIDATE,
        guards=[only_shipped_files],
    )
    return Router(path="/", route_handlers=[buyer_page, operator_page, assets])
