"""Preparing a sale for a scenario: events, crowds of users entered, their tokens.

Entering a crowd is itself a load (vegeta as fast as 64 workers go), not part of what is
measured. Tokens are minted here with the server's secret rather than collected from the
answers: the same tokens the server would issue, without keeping 20,000 response bodies.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.stack import ADMIN_KEY, TOKEN_SECRET
from bench.tools import Target, run_vegeta, write_targets
from ticketing_entrypoints.http.tokens import QueueTokens

_TOKENS = QueueTokens(TOKEN_SECRET)
JSON = {"Content-Type": "application/json"}


class Sale:
    """One API (``url``) as the benchmark prepares and inspects it."""

    def __init__(self, url: str, workdir: Path) -> None:
        self.url = url
        self.workdir = workdir
        self.http = httpx.Client(base_url=url, timeout=30)

    def create_event(self, name: str, **fields: Any) -> str:
        event_id = f"{name}-{uuid.uuid4().hex[:8]}"
        body = {"eventId": event_id, "name": f"Bench {name}", "totalSeats": 10_000_000, **fields}
        response = self.http.post(
            "/api/v1/events", json=body, headers={"Authorization": f"Bearer {ADMIN_KEY}"}
        )
        if response.status_code != 201:
            raise RuntimeError(f"creating {event_id}: {response.status_code} {response.text}")
        return event_id

    def stats(self, event_id: str) -> dict[str, int]:
        response = self.http.get(f"/api/v1/events/{event_id}")
        response.raise_for_status()
        stats: dict[str, int] = response.json()["stats"]
        return stats

    def enter(self, event_id: str, users: Sequence[str]) -> None:
        """Enters every user, in the order given (their places follow it), 64 at a time."""
        targets = self.workdir / f"enter-{event_id}.json"
        write_targets(targets, (enter_target(self.url, event_id, user) for user in users))
        entered = run_vegeta(targets, 0, None, self.workdir / f"enter-{event_id}.bin")
        if entered.requests != len(users) or entered.errors:
            raise RuntimeError(
                f"entering {len(users)} users of {event_id}: {entered.requests} requests, "
                f"{entered.errors} failed"
            )

    def enter_one(self, event_id: str, user: str) -> None:
        response = self.http.post("/api/v1/queue/enter", json={"eventId": event_id, "userId": user})
        response.raise_for_status()

    def leave(self, event_id: str, user: str) -> None:
        response = self.http.delete(
            "/api/v1/queue", headers={"X-Queue-Token": token(event_id, user)}
        )
        if response.status_code != 204:
            raise RuntimeError(f"{user} leaving: {response.status_code} {response.text}")

    def wait_admitted(self, event_id: str, count: int, within: float = 60.0) -> None:
        deadline = time.monotonic() + within
        while self.stats(event_id)["activeUsers"] < count:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{count} users of {event_id} not admitted in {within:.0f} s")
            time.sleep(0.2)

    def close(self) -> None:
        self.http.close()


def token(event_id: str, user: str) -> str:
    return _TOKENS.issue(event_id, user)


def write_tokens(path: Path, event_id: str, users: Sequence[str]) -> Path:
    path.write_text("".join(token(event_id, user) + "\n" for user in users))
    return path


def enter_target(url: str, event_id: str, user: str) -> Target:
    body = json.dumps({"eventId": event_id, "userId": user}).encode()
    return ("POST", f"{url}/api/v1/queue/enter", body, JSON)


def reserve_target(url: str, event_id: str, user: str) -> Target:
    body = json.dumps({"eventId": event_id, "quantity": 1}).encode()
    return (
        "POST",
        f"{url}/api/v1/tickets/reserve",
        body,
        {**JSON, "X-Queue-Token": token(event_id, user)},
    )


def status_target(url: str, event_id: str, user: str) -> Target:
    return ("GET", f"{url}/api/v1/queue/status", None, {"X-Queue-Token": token(event_id, user)})


SALE_FOR_RESERVES = {
    "maxPerUser": 10,
    "maxActiveUsers": 1_000_000,
    "admissionRatePerSecond": 100_000,
    "admissionTtlSeconds": 86_400,
    "holdTtlSeconds": 86_400,
}
"""Everybody is admitted at once and stays admitted; a user may hold ten seats, so a crowd of
N users carries 10 N reserves; holds outlast the run (no expiry work mid-measurement)."""

WAITING_ROOM = {"opensAt": "2099-01-01T00:00:00Z"}
"""A sale that has not opened: everybody waits."""
