"""The HTTP API v1 on Litestar (SPEC section 5); ``app.build_app`` builds it."""
