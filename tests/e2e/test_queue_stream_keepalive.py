"""A stream with nothing new to say still speaks: the position again, with a keep-alive."""

from __future__ import annotations

import asyncio

import pytest

from entrypoints.settings import AppSettings
from tests.e2e.support import Sale, queue_token, sse_messages
from tests.e2e.test_queue_stream import finished, open_stream

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: AppSettings) -> AppSettings:
    """Keep-alives every 50 ms instead of every 15 s."""
    return settings.model_copy(update={"stream_keepalive_seconds": 0.05})


async def test_a_quiet_stream_repeats_the_position_with_a_keep_alive(sale: Sale) -> None:
    await sale.create_event(eventId="show", opensAt="2099-01-01T00:00:00Z")
    token = (await sale.enter("show", "ann"))["token"]
    stream = open_stream(sale, token)
    await asyncio.sleep(0.3)

    left = await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    assert left.status_code == 204

    messages = sse_messages((await finished(stream)).text)
    keepalives = [data for event, data, comments in messages if comments == ["keep-alive"]]
    assert len(keepalives) >= 2
    assert all(data["position"] == 1 for data in keepalives)
