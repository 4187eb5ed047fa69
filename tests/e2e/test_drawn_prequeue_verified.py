"""A drawn pre-queue on the real stack (issue 14, item 6): buyers enter before the opening,
the sale opens and draws their order, the worker records it, and ``ticketing verify-draw``
recomputes it from PostgreSQL alone; an order tampered with in PostgreSQL is rejected."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import psycopg
import pytest

from tests.e2e.support import Shop, Stack
from tests.support.http import unique_event_id
from tests.support.waiting import eventually

pytestmark = pytest.mark.anyio

BUYERS = 40
OPENS_IN = timedelta(seconds=5)
"""Time for the buyers to get in line before the opening."""


async def test_verify_draw_recomputes_the_drawn_order_and_rejects_a_tampered_one(
    stack: Stack, shop: Shop
) -> None:
    event_id = unique_event_id("drawn")
    opens_at = datetime.now(UTC) + OPENS_IN
    created = await shop.create_event(
        event_id, totalSeats=1_000, drawAtOpening=True, opensAt=opens_at.isoformat()
    )
    assert len(created["drawCommitment"]) == 64
    await asyncio.gather(*(shop.enter(event_id, f"buyer-{n}") for n in range(BUYERS)))
    assert datetime.now(UTC) < opens_at, "the buyers got in line after the opening"

    verdict: tuple[int, str] = (2, "")

    async def recorded() -> bool:
        nonlocal verdict
        verdict = await stack.command("verify-draw", "--event", event_id)
        return verdict[0] != 2  # 2: not drawn, or not recorded yet

    await eventually(recorded, within=60 + OPENS_IN.total_seconds(), every=0.5, what="the draw")
    code, report = verdict
    assert code == 0, report
    assert f"{BUYERS} entrants drawn" in report

    async with await psycopg.AsyncConnection.connect(
        stack.settings.required("database_url"), autocommit=True
    ) as connection:
        # Two entrants swap places in the record: what a dishonest operator would do.
        await connection.execute(
            "UPDATE draws SET users = users[2:2] || users[1:1] || users[3:] WHERE event_id = %s",
            (event_id,),
        )
    code, report = await stack.command("verify-draw", "--event", event_id)
    assert code == 1, report
    assert "mismatch: position 1" in report
    code, report = await stack.command("verify-draw", "--event", "no-such-sale")
    assert code == 2, report
