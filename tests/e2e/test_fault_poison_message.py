"""A poison message on the stream while buyers buy over HTTP: it lands in the dead-letter
topic, the worker goes on, and every 202 still reaches PostgreSQL exactly once."""

from __future__ import annotations

import asyncio

import pytest

from tests.e2e.support import (
    LARGE_SALE_SEATS,
    Shop,
    Stack,
    assert_seats_add_up,
    buying_crowd,
    settle,
)
from tests.support.http import unique_event_id
from tests.support.kafka_topics import produce_raw, read_topic
from tests.support.records import created
from ticketing_adapters.kafka.codec import encode_value

pytestmark = pytest.mark.anyio


async def test_poison_messages_are_dead_lettered_and_the_worker_goes_on(
    stack: Stack, shop: Shop
) -> None:
    orphan = created(event_id=unique_event_id("no-such-event"))  # the foreign key refuses it
    poison = [(b"garbage", b"\x00 not json"), (orphan.key.encode(), encode_value(orphan))]
    kafka = stack.settings
    async with buying_crowd(shop, "poison") as crowd:
        event_id = crowd.event_id
        await crowd.until_holds(100)
        await asyncio.to_thread(
            produce_raw, kafka.required("kafka_bootstrap"), kafka.kafka_topic, poison
        )
        holds_at_poison = crowd.holds
        await crowd.until_holds(holds_at_poison + 200)

    assert not crowd.refusals
    rows = await settle(stack, event_id, crowd.acknowledged)
    await assert_seats_add_up(stack, shop, event_id, LARGE_SALE_SEATS, rows.values())
    letters = await asyncio.to_thread(
        read_topic, kafka.required("kafka_bootstrap"), kafka.kafka_dead_letter_topic, 2
    )
    reasons = {dict(letter.headers() or [])["dlq.reason"]: letter.value() for letter in letters}
    assert reasons == {b"undecodable": poison[0][1], b"write_failed": poison[1][1]}
    assert await stack.record.get(orphan.key) is None
    assert stack.processes["worker-0"].poll() is None, "the worker still runs"
