"""The HTTP API v1 on Litestar (SPEC section 5); ``entrypoints.http.app.create_app`` builds it."""
