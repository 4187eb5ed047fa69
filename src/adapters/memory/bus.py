"""An in-process event bus: delivery is a direct call to each subscriber."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

from ticketing_core.messages import Message

Subscriber = Callable[[Sequence[Message]], Awaitable[None]]


class MemoryEventBus:
    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []
        self.published = 0

    def subscribe(self, subscriber: Subscriber) -> None:
        self._subscribers.append(subscriber)

    async def publish(self, messages: Sequence[Message]) -> None:
        for subscriber in self._subscribers:
            await subscriber(messages)
        self.published += len(messages)
