"""The HTTP API v1 on Litestar (SPEC section 5)."""

from entrypoints.http.app import create_app

__all__ = ["create_app"]
