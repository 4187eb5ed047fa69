"""What runs around serving: backends open first and close last; drivers and streams between."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractAsyncContextManager, AsyncExitStack, asynccontextmanager

from litestar import Litestar

from entrypoints.backends import deployment_of
from entrypoints.container import Container

log = logging.getLogger(__name__)


def lifespan(container: Container) -> Callable[[Litestar], AbstractAsyncContextManager[None]]:
    @asynccontextmanager
    async def run(_: Litestar) -> AsyncIterator[None]:
        async with AsyncExitStack() as stack:
            await _maybe_await(container.init_resources())
            stack.push_async_callback(_shutdown_resources, container)
            # Resolved now, not on the first request: the generated admin key is logged at start.
            container.admin_key()
            container.tokens()
            positions = await container.positions.async_()
            stack.push_async_callback(positions.close)
            settings = container.settings()
            if settings.drivers:
                drivers = await container.drivers.async_()
                await stack.enter_async_context(drivers.running())
            log.info("ticketing API ready (%s)", deployment_of(settings).value)
            yield

    return run


async def _shutdown_resources(container: Container) -> None:
    await _maybe_await(container.shutdown_resources())


async def _maybe_await(result: Awaitable[None] | None) -> None:
    """The container answers an awaitable when any of its resources is asynchronous."""
    if result is not None:
        await result
