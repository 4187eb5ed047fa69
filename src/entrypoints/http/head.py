"""``HEAD`` wherever ``GET`` is: API routes, web pages, static files and the schema alike.

RFC 9110 (section 9.3.2): a server SHOULD answer ``HEAD`` where it answers ``GET``, with the
same status and headers and no content. Litestar answers it on its static files only; every
other ``GET`` route refused it with 405. So before routing, a ``HEAD`` request is served as the
``GET`` it stands for (``GET`` is safe, so this changes nothing) and only the head of the answer
is sent: the status and every header, ``Content-Length`` included, and an empty body. A stream
(the queue's events) ends as soon as its head is out. Every ``Allow`` header that names ``GET``
also names ``HEAD``. The OpenAPI document does not list ``HEAD``: an implicit method, as HTTP
defines it and as schemathesis reads documents.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any

from litestar.enums import ScopeType

if TYPE_CHECKING:
    from litestar import Litestar
    from litestar.types import ASGIApp, Message, Receive, Scope, Send


def answer_head_as_get(app: Litestar) -> None:
    """Puts :class:`HeadAsGet` in front of ``app``'s routing (and after its ``before_send``)."""
    app.asgi_handler = HeadAsGet(app.asgi_handler)


class HeadAsGet:
    """An ASGI layer: ``HEAD`` routed as ``GET`` with its body dropped, ``HEAD`` in ``Allow``."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != ScopeType.HTTP:
            await self.app(scope, receive, send)
        elif scope["method"] == "HEAD":
            await _answer_head(self.app, scope, receive, send)
        else:
            options = scope["method"] == "OPTIONS"

            async def send_allowing_head(message: Message) -> None:
                if message["type"] == "http.response.start" and (
                    options or message["status"] == 405
                ):
                    message = _allow_head(message)
                await send(message)

            await self.app(scope, receive, send_allowing_head)


async def _answer_head(app: ASGIApp, scope: Scope, receive: Receive, send: Send) -> None:
    answered = asyncio.Event()

    async def send_head(message: Message) -> None:
        if answered.is_set():
            return
        if message["type"] == "http.response.start":
            await send(_allow_head(message))
            return
        # The first part of the body (a chunk, or a whole file by path) ends the answer.
        answered.set()
        await send({"type": "http.response.body", "body": b"", "more_body": False})

    async def receive_until_answered() -> Any:
        """The client's messages, then a disconnect once the head is sent: a response that
        listens for the client going away (a stream) stops there."""
        if answered.is_set():
            return {"type": "http.disconnect"}
        incoming = asyncio.ensure_future(receive())
        done = asyncio.ensure_future(answered.wait())
        try:
            await asyncio.wait((incoming, done), return_when=asyncio.FIRST_COMPLETED)
        finally:
            done.cancel()
        if incoming.done():
            return incoming.result()
        incoming.cancel()
        return {"type": "http.disconnect"}

    as_get: Any = {**scope, "method": "GET"}
    await app(as_get, receive_until_answered, send_head)


def _allow_head(message: Any) -> Any:
    """``message`` (a response start) with ``HEAD`` added to an ``Allow`` that names ``GET``."""
    headers = list(message.get("headers", ()))
    for index, (name, value) in enumerate(headers):
        if name.lower() == b"allow":
            methods = {method.strip().upper() for method in bytes(value).split(b",")}
            if b"GET" in methods and b"HEAD" not in methods:
                headers[index] = (name, bytes(value) + b", HEAD")
                return {**message, "headers": headers}
    return message
