"""A worker process killed with SIGKILL mid-stream and started again loses nothing and
stores nothing twice."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess

import pytest

from tests.support.kafka_topics import unconsumed
from tests.support.records import created, event_settings, moved
from tests.support.stack import worker_process
from tests.support.waiting import eventually
from ticketing_adapters.kafka import KafkaEventBus
from ticketing_adapters.postgres import Pool, PostgresReservationRepository
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import ReservationStatus
from ticketing_entrypoints.settings import Settings

pytestmark = pytest.mark.anyio

ROUNDS = 40
HOLDS_PER_ROUND = 500


async def row_count(pool: Pool) -> int:
    async with pool.connection() as connection:
        cursor = await connection.execute("SELECT count(*) FROM reservations")
        row = await cursor.fetchone()
    assert row is not None
    return int(row[0])


async def publish_steadily(bus: KafkaEventBus, sent: dict[str, ReservationMessage]) -> None:
    """Holds, then every other one confirmed, round after round: a stream still flowing
    while the worker dies and comes back."""
    for round_number in range(ROUNDS):
        holds = [created(user=f"r{round_number}-{n}") for n in range(HOLDS_PER_ROUND)]
        finals = [moved(hold, ReservationStatus.CONFIRMED) for hold in holds[::2]]
        await bus.publish(holds)
        await bus.publish(finals)
        sent.update({m.key: m for m in holds})
        sent.update({m.key: m for m in finals})
        await asyncio.sleep(0.05)  # pacing: the rounds spread over the kill and the restart


async def stop(worker: subprocess.Popen[bytes]) -> int:
    worker.send_signal(signal.SIGTERM)
    return await asyncio.to_thread(worker.wait, 60)


async def test_a_worker_killed_mid_stream_and_restarted_stores_every_message_once(
    stack_settings: Settings, pool: Pool, repository: PostgresReservationRepository
) -> None:
    settings = stack_settings
    await repository.save_event(event_settings())
    bus = KafkaEventBus(settings.kafka_config())
    await bus.start()
    sent: dict[str, ReservationMessage] = {}
    publishing = asyncio.create_task(publish_steadily(bus, sent))
    first = worker_process(settings)
    second: subprocess.Popen[bytes] | None = None
    try:

        async def some_stored() -> bool:
            return await row_count(pool) >= 2_000

        await eventually(some_stored, within=60, every=0.05)
        first.kill()
        assert await asyncio.to_thread(first.wait, 10) == -signal.SIGKILL
        assert not publishing.done(), "killed while the stream still flows"

        second = worker_process(settings)
        await publishing

        async def all_committed() -> bool:
            behind = await asyncio.to_thread(
                unconsumed,
                settings.required("kafka_bootstrap"),
                settings.kafka_group,
                settings.kafka_topic,
            )
            return behind == 0

        await eventually(all_committed, within=120)
        assert await stop(second) == 0, "a SIGTERM is a clean stop"
    finally:
        publishing.cancel()
        for worker in (first, second):
            if worker is not None and worker.poll() is None:
                worker.kill()
        with contextlib.suppress(Exception):
            await bus.close()

    stored = await repository.reservations_of("sale-1")
    assert len(stored) == ROUNDS * HOLDS_PER_ROUND
    assert {r.reservation_id: r for r in stored} == {
        key: message.reservation for key, message in sent.items()
    }
