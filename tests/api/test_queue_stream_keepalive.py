"""A stream with nothing new to say still speaks: the position again, with a keep-alive."""

from __future__ import annotations

import asyncio

import pytest

from tests.api.support import Sale, finished, open_stream, sse_messages
from tests.support.http import queue_token
from ticketing_core.clock import to_datetime
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Keep-alives every 50 ms instead of every 15 s."""
    return settings.model_copy(update={"stream_keepalive_seconds": 0.05})


async def test_a_quiet_stream_repeats_the_position_with_a_fresh_estimate(
    sale: Sale, show: str
) -> None:
    opens_at = to_datetime(sale.clock.now_ms() + 60_000)
    await sale.create_event(eventId=show, opensAt=opens_at.isoformat())
    token = (await sale.enter(show, "ann"))["token"]
    stream = open_stream(sale, token)
    await asyncio.sleep(0.2)
    sale.clock.advance(30_000)
    await asyncio.sleep(0.2)

    left = await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    assert left.status_code == 204

    messages = sse_messages((await finished(stream)).text)
    keepalives = [data for event, data, comments in messages if comments == ["keep-alive"]]
    assert len(keepalives) >= 4
    assert all(data["position"] == 1 for data in keepalives)
    waits = [data["estimatedWaitSeconds"] for data in keepalives]
    assert waits[0] == 61
    assert waits[-1] == 31
