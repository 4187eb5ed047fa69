"""A stream with nothing new to say still speaks: the position again, with a keep-alive."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.support import Sale, Stream, finished, open_stream, sse_messages
from tests.support.http import queue_token
from tests.support.waiting import eventually
from ticketing_core.clock import to_datetime
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """Keep-alives every 50 ms instead of every 15 s."""
    return settings.model_copy(update={"stream_keepalive_seconds": 0.05})


def keepalives(messages: list[tuple[str, dict[str, Any], list[str]]]) -> list[dict[str, Any]]:
    return [data for _, data, comments in messages if comments == ["keep-alive"]]


def waits_sent(stream: Stream) -> list[int]:
    """The estimates of the keep-alives the stream sent so far."""
    return [data["estimatedWaitSeconds"] for data in keepalives(stream.sent())]


async def test_a_quiet_stream_repeats_the_position_with_a_fresh_estimate(
    sale: Sale, show: str
) -> None:
    opens_at = to_datetime(sale.clock.now_ms() + 60_000)
    await sale.create_event(eventId=show, opensAt=opens_at.isoformat())
    token = (await sale.enter(show, "ann"))["token"]
    stream = open_stream(sale, token)
    await eventually(
        lambda: len(waits_sent(stream)) >= 2, within=30, what="two keep-alives before time moves"
    )
    sale.clock.advance(30_000)
    # The first keep-alive after the advance may still carry the snapshot taken before it.
    await eventually(
        lambda: waits_sent(stream)[-2:] == [31, 31],
        within=30,
        what="two keep-alives with the estimate 30 s later",
    )

    left = await sale.client.delete("/api/v1/queue", headers=queue_token(token))
    assert left.status_code == 204

    messages = sse_messages((await finished(stream)).text)
    repeated = keepalives(messages)
    assert len(repeated) >= 4
    assert all(data["position"] == 1 for data in repeated)
    waits = [data["estimatedWaitSeconds"] for data in repeated]
    assert waits[0] == 61
    assert waits[-1] == 31
