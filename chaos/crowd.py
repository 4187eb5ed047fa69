"""The campaign's clients: buyers who enter, wait (polling or on the position stream), hold a
seat and confirm, cancel or let the hold expire, and some who leave the queue. Every request
and its answer goes into the record; a 503 is retried after a back-off, an instance that does
not answer is left for the other."""

from __future__ import annotations

import asyncio
import random
import time
from typing import Any

import httpx
from tests.support.http import queue_token

from chaos.history import History, Op

CLIENT_TIMEOUT_SECONDS = 30.0
"""Longer than any fault lasts plus the 10 s a paused Redis may hold a command."""
BACK_OFF_SECONDS = 0.2
ADMISSION_WITHIN_SECONDS = 60.0


class Buyer:
    def __init__(
        self, apis: list[httpx.AsyncClient], history: History, rng: random.Random, name: str
    ) -> None:
        self._apis = apis
        self._history = history
        self._rng = rng
        self._name = name

    async def request(
        self,
        kind: str,
        event_id: str,
        method: str,
        path: str,
        reservation_id: str | None = None,
        **options: Any,
    ) -> httpx.Response | None:
        """One request, recorded; None when no instance answered (the next is tried then)."""
        started = time.monotonic()
        try:
            response = await self._apis[0].request(method, path, **options)
        except httpx.TimeoutException:
            self._record(kind, event_id, started, None, "timeout", reservation_id)
            return None
        except httpx.TransportError:
            self._record(kind, event_id, started, None, "refused", reservation_id)
            self._apis = [*self._apis[1:], self._apis[0]]
            return None
        queue_status = None
        if response.status_code in (200, 202) and kind in ("reserve", "status"):
            body = response.json()
            reservation_id = body.get("reservationId", reservation_id)
            queue_status = body.get("status") if kind == "status" else None
        self._record(
            kind, event_id, started, response.status_code, None, reservation_id, queue_status
        )
        return response

    async def until_answered(
        self, kind: str, event_id: str, method: str, path: str, **options: Any
    ) -> httpx.Response:
        """For a request that may be repeated: until an answer other than 503."""
        while True:
            response = await self.request(kind, event_id, method, path, **options)
            if response is not None and response.status_code != 503:
                return response
            await asyncio.sleep(BACK_OFF_SECONDS)  # a client's back-off

    async def buy(self, event_id: str) -> None:
        entered = await self.until_answered(
            "enter",
            event_id,
            "POST",
            "/api/v1/queue/enter",
            json={"eventId": event_id, "userId": self._name},
        )
        if entered.status_code != 200:
            return
        token = entered.json()["token"]
        if self._rng.random() < 0.1:
            await self.until_answered(
                "leave", event_id, "DELETE", "/api/v1/queue", headers=queue_token(token)
            )
            return
        if not await self._admitted(event_id, token):
            return
        held = await self.request(
            "reserve",
            event_id,
            "POST",
            "/api/v1/tickets/reserve",
            json={"eventId": event_id, "quantity": 1},
            headers=queue_token(token),
        )
        if held is None or held.status_code != 202:
            return
        reservation_id = held.json()["reservationId"]
        choice = self._rng.random()
        if choice < 0.7:  # the rest let their hold expire
            action = "confirm" if choice < 0.45 else "cancel"
            await self.request(
                action,
                event_id,
                "POST",
                f"/api/v1/tickets/{reservation_id}/{action}",
                reservation_id,
                headers=queue_token(token),
            )

    async def _admitted(self, event_id: str, token: str) -> bool:
        deadline = time.monotonic() + ADMISSION_WITHIN_SECONDS
        use_stream = self._rng.random() < 0.2
        while time.monotonic() < deadline:
            if use_stream and await self._stream_admits(event_id, token):
                return True
            status = await self.until_answered(
                "status", event_id, "GET", "/api/v1/queue/status", headers=queue_token(token)
            )
            if status.status_code != 200:
                return False
            answered = status.json()["status"]
            if answered == "ADMITTED":
                return True
            if answered != "WAITING":
                return False
            await asyncio.sleep(0.1)  # the polling client's interval
        return False

    async def _stream_admits(self, event_id: str, token: str) -> bool:
        """Follows the position stream for a few seconds; True if it said ``admitted``."""
        started = time.monotonic()
        try:
            async with asyncio.timeout(3):
                params = {"token": token}
                async with self._apis[0].stream(
                    "GET", "/api/v1/queue/stream", params=params
                ) as stream:
                    status = stream.status_code
                    async for line in stream.aiter_lines():
                        if line == "event: admitted":
                            self._record("stream", event_id, started, status)
                            return True
        except (TimeoutError, httpx.HTTPError):
            pass
        return False

    def _record(
        self,
        kind: str,
        event_id: str,
        started: float,
        status: int | None,
        error: str | None = None,
        reservation_id: str | None = None,
        queue_status: str | None = None,
    ) -> None:
        self._history.ops.append(
            Op(
                kind,
                event_id,
                self._name,
                started,
                time.monotonic(),
                status,
                error,
                reservation_id,
                queue_status,
            )
        )
