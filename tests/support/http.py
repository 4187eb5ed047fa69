"""What every client of the API in the tests uses: the tests' secrets, loopback ports, ids."""

from __future__ import annotations

import socket
import uuid

from ticketing_entrypoints.http.entry_checks import work_of

ADMIN_KEY = "admin-key-for-tests-only-0123456789"
TOKEN_SECRET = "token-secret-for-tests-only-0123456789abcdef"
ADMIN = {"Authorization": f"Bearer {ADMIN_KEY}"}

LOOPBACK = "127.0.0.1"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        port: int = probe.getsockname()[1]
        return port


def unique_event_id(name: str) -> str:
    """An event id no other test (or run) uses: Redis outlives a test and may be shared."""
    return f"{name}-{uuid.uuid4().hex[:10]}"


def queue_token(token: str) -> dict[str, str]:
    return {"X-Queue-Token": token}


def solved_nonce(challenge: str, bits: int) -> str:
    """What a buyer's page does for a sale's proof of work: the first counter whose
    SHA-256(challenge || nonce) starts with ``bits`` zero bits."""
    nonce = 0
    while work_of(challenge, str(nonce)) < bits:
        nonce += 1
    return str(nonce)
