"""Builders and waits shared by the PostgreSQL, Kafka and worker tests."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import IO

from confluent_kafka import Consumer, ConsumerGroupState, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from adapters.kafka import KafkaConfig
from entrypoints.settings import Settings
from tests.api.support import free_port
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus
from ticketing_core.settings import EventSettings

T0 = 1_900_000_000_000
"""A fixed epoch-millisecond instant: timestamps read back must equal it exactly."""
HOLD_MS = 600_000


def event_settings(event_id: str = "sale-1", total_seats: int = 100_000) -> EventSettings:
    return EventSettings(
        event_id=event_id,
        name="Integration sale",
        total_seats=total_seats,
        max_per_user=4,
        opens_at=datetime(2030, 1, 1, tzinfo=UTC),
    )


def created(event_id: str = "sale-1", user: str = "alice", quantity: int = 2) -> ReservationMessage:
    """The ``reservation.created`` message of a new hold."""
    reservation = Reservation(
        reservation_id=str(uuid.uuid4()),
        event_id=event_id,
        user_id=user,
        quantity=quantity,
        status=ReservationStatus.PENDING,
        created_at=T0,
        expires_at=T0 + HOLD_MS,
        updated_at=T0,
    )
    return ReservationMessage.of(reservation)


def moved(
    message: ReservationMessage, status: ReservationStatus, after_ms: int = 1_000
) -> ReservationMessage:
    """The message of the same reservation's later move to ``status``."""
    reservation = message.reservation
    return ReservationMessage.of(reservation.moved_to(status, reservation.created_at + after_ms))


async def eventually(
    check: Callable[[], Awaitable[bool]], *, within: float, every: float = 0.2
) -> None:
    """Waits until ``check()`` holds; fails with the time it waited."""
    deadline = time.monotonic() + within
    while not await check():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition still false after {within} s")
        await asyncio.sleep(every)


def read_topic(bootstrap: str, topic: str, count: int, within: float = 30.0) -> list[Message]:
    """Blocking: the first ``count`` records of ``topic`` (all partitions), as a new group
    reads them; fails if fewer arrive within ``within`` seconds."""
    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"reader-{uuid.uuid4().hex}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    consumer.subscribe([topic])
    records: list[Message] = []
    deadline = time.monotonic() + within
    try:
        while len(records) < count and time.monotonic() < deadline:
            records += [r for r in consumer.consume(count - len(records), 0.5) if not r.error()]
    finally:
        consumer.close()
    assert len(records) == count, f"{len(records)} of {count} records arrived in {within} s"
    return records


def produce_raw(bootstrap: str, topic: str, records: list[tuple[bytes, bytes]]) -> None:
    """Blocking: writes (key, value) records as they are, bypassing the codec."""
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for key, value in records:
        producer.produce(topic, value=value, key=key)
    assert producer.flush(30) == 0, "raw records not delivered"


def unconsumed(bootstrap: str, group: str, topic: str) -> int:
    """Blocking: how many records of ``topic`` lie past the offsets ``group`` committed."""
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group})
    try:
        metadata = consumer.list_topics(topic, timeout=10).topics[topic]
        partitions = [TopicPartition(topic, p) for p in metadata.partitions]
        behind = 0
        for committed in consumer.committed(partitions, timeout=10):
            _, high = consumer.get_watermark_offsets(committed, timeout=10)
            behind += high - max(committed.offset, 0)
        return behind
    finally:
        consumer.close()


def stack_environment(settings: Settings) -> dict[str, str]:
    """The environment of a process of the real stack configured like ``settings`` says."""
    return {
        **os.environ,
        "TICKETING_DATABASE_URL": settings.required("database_url"),
        "TICKETING_KAFKA_BOOTSTRAP": settings.required("kafka_bootstrap"),
        "TICKETING_KAFKA_TOPIC": settings.kafka_topic,
        "TICKETING_KAFKA_DEAD_LETTER_TOPIC": settings.kafka_dead_letter_topic,
        "TICKETING_KAFKA_GROUP": settings.kafka_group,
        "TICKETING_WORKER_BATCH_SIZE": str(settings.worker_batch_size),
    }


def ticketing_command(*arguments: str) -> list[str]:
    """The ``ticketing`` command line of this virtualenv."""
    return [str(Path(sys.executable).with_name("ticketing")), *arguments]


def worker_process(settings: Settings, log: IO[bytes] | None = None) -> subprocess.Popen[bytes]:
    """``ticketing worker`` as its own process, configured like ``settings`` says; its output
    goes to ``log`` when given."""
    return subprocess.Popen(
        ticketing_command("worker"),
        env=stack_environment(settings),
        stdout=log or subprocess.DEVNULL,
        stderr=subprocess.STDOUT if log else None,
    )


SERVICES = Path(__file__).resolve().parents[2] / "scripts" / "services.sh"


def services(action: str, service: str) -> None:
    """Blocking: ``scripts/services.sh ACTION SERVICE`` (``up`` / ``down``), which must succeed.

    These are the shared services: other tests using them at that moment see it too."""
    done = subprocess.run(
        [str(SERVICES), action, service], check=False, capture_output=True, text=True
    )
    assert done.returncode == 0, f"services.sh {action} {service} failed:\n{done.stderr[-3000:]}"


def delete_topics(config: KafkaConfig) -> None:
    """Blocking: deletes the stream and dead-letter topics of ``config``."""
    admin = AdminClient({"bootstrap.servers": config.bootstrap_servers})
    for future in admin.delete_topics([config.topic, config.dead_letter_topic]).values():
        future.result()


def group_members_with_partitions(bootstrap: str, group: str) -> int:
    """Blocking: how many members of ``group`` hold partitions, once the group is stable."""
    admin = AdminClient({"bootstrap.servers": bootstrap})
    description = admin.describe_consumer_groups([group])[group].result(timeout=10)
    if description.state != ConsumerGroupState.STABLE:
        return 0
    return sum(1 for member in description.members if member.assignment.topic_partitions)


class LateBroker:
    """A loopback port where no broker answers until ``open()``, and that then forwards to the
    real one. Clients only bootstrap through it: the metadata names the broker's own address."""

    def __init__(self, broker: str) -> None:
        host, port = broker.rsplit(":", 1)
        self._broker = (host, int(port))
        self.address = f"127.0.0.1:{free_port()}"
        self._server: asyncio.Server | None = None

    async def open(self) -> None:
        port = int(self.address.rsplit(":", 1)[1])
        self._server = await asyncio.start_server(self._forward, "127.0.0.1", port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        broker_in, broker_out = await asyncio.open_connection(*self._broker)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            while data := await source.read(65_536):
                sink.write(data)
                await sink.drain()
            sink.close()

        await asyncio.gather(pipe(client_in, broker_out), pipe(broker_in, client_out))
