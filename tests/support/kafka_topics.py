"""Kafka as the tests see it directly: topics read and written past the codec, consumer
groups' progress, and a broker that is not there yet."""

from __future__ import annotations

import asyncio
import time
import uuid

from confluent_kafka import Consumer, ConsumerGroupState, Message, Producer, TopicPartition
from confluent_kafka.admin import AdminClient

from tests.support.http import LOOPBACK, free_port
from ticketing_adapters.kafka import KafkaConfig


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
        self.address = f"{LOOPBACK}:{free_port()}"
        self._server: asyncio.Server | None = None

    async def open(self) -> None:
        port = int(self.address.rsplit(":", 1)[1])
        self._server = await asyncio.start_server(self._forward, LOOPBACK, port)

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()

    async def _forward(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        broker_in, broker_out = await asyncio.open_connection(*self._broker)

        async def pipe(source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
            try:
                while data := await source.read(65_536):
                    sink.write(data)
                    await sink.drain()
            except ConnectionError:
                pass  # a side reset the connection: like its end, this ends the forwarding
            finally:
                sink.close()

        await asyncio.gather(pipe(client_in, broker_out), pipe(broker_in, client_out))
