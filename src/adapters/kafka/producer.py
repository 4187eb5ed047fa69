"""confluent-kafka's producer with each delivery report as an asyncio future.

librdkafka reports deliveries through callbacks that run inside ``poll()``. A dedicated thread
polls, and each callback hands its result to the event loop with ``call_soon_threadsafe``, so
the loop never blocks on Kafka. (confluent-kafka's own ``aio.AIOProducer`` was not used: it
buffers messages for up to a second before handing them to librdkafka and refuses headers.)
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from confluent_kafka import KafkaError, Message, Producer

from ticketing_adapters.kafka.codec import Headers

log = logging.getLogger(__name__)
POLL_INTERVAL_SECONDS = 0.1
QUEUE_FULL_BACKOFF_SECONDS = 0.005


class DeliveryFailed(Exception):
    """Kafka did not confirm one or more messages; they may or may not have been written."""


@dataclass(frozen=True, slots=True)
class Record:
    topic: str
    key: bytes | None
    value: bytes | None
    headers: Headers


class _Client:
    """One librdkafka producer and the thread that serves its callbacks."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.failed = threading.Event()
        self._stopping = threading.Event()
        self.producer = Producer({**config, "error_cb": self._on_error})
        self._poller = threading.Thread(target=self._poll, name="kafka-producer-poll", daemon=True)
        self._poller.start()

    def close(self, drain_seconds: float) -> None:
        """Blocking: stops polling, waits up to ``drain_seconds`` for outstanding deliveries,
        then fails the rest (their futures settle with ``DeliveryFailed``)."""
        self._stopping.set()
        self._poller.join()
        if self.producer.flush(drain_seconds):
            log.warning("closing a Kafka producer with undelivered messages; failing them")
            self.producer.purge()
            self.producer.flush(0)

    def _poll(self) -> None:
        while not self._stopping.is_set():
            self.producer.poll(POLL_INTERVAL_SECONDS)

    def _on_error(self, error: KafkaError) -> None:
        # Brokers coming and going are reported here too; librdkafka retries those itself.
        # A fatal error (the idempotent producer's sequence state is lost) never heals: this
        # client must be replaced.
        if error.fatal():
            log.error("Kafka producer failed fatally, replacing it: %s", error)
            self.failed.set()
        else:
            log.debug("Kafka producer: %s", error)


class AsyncProducer:
    def __init__(self, config: dict[str, Any]) -> None:
        self._config = config
        self._client: _Client | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    async def start(self) -> None:
        """Creates the client and its poll thread; call from the loop that will await."""
        self._loop = asyncio.get_running_loop()
        self._client = _Client(self._config)

    async def send(self, record: Record) -> asyncio.Future[Message]:
        """Hands one record to librdkafka; the future settles when the broker answers."""
        loop = self._started_loop()
        delivered: asyncio.Future[Message] = loop.create_future()
        while True:
            try:
                (await self._healthy_client()).producer.produce(
                    record.topic,
                    value=record.value,
                    key=record.key,
                    headers=record.headers,
                    on_delivery=partial(self._on_delivery, loop, delivered),
                )
                return delivered
            except BufferError:
                # librdkafka's local queue is full: wait for deliveries to drain it.
                await asyncio.sleep(QUEUE_FULL_BACKOFF_SECONDS)

    async def deliver(self, records: Sequence[Record]) -> None:
        """Sends every record, then waits for every delivery report.

        Raises ``DeliveryFailed`` if any was not confirmed, only after all have settled, so
        no report is left unobserved.
        """
        pending = [await self.send(record) for record in records]
        outcomes = await asyncio.gather(*pending, return_exceptions=True)
        failures = [outcome for outcome in outcomes if isinstance(outcome, BaseException)]
        if failures:
            raise DeliveryFailed(
                f"{len(failures)} of {len(records)} messages not delivered: {failures[0]}"
            ) from failures[0]

    async def ping(self, topic: str, timeout_seconds: float = 2.0) -> None:
        """Returns when a broker answers a metadata request for ``topic``; raises otherwise."""
        client = await self._healthy_client()
        metadata = await asyncio.to_thread(client.producer.list_topics, topic, timeout_seconds)
        if not metadata.brokers:
            raise DeliveryFailed("no Kafka broker answers")

    async def close(self, drain_seconds: float = 10.0) -> None:
        """Waits up to ``drain_seconds`` for outstanding deliveries, then fails the rest."""
        client, self._client = self._client, None
        if client is not None:
            await asyncio.to_thread(client.close, drain_seconds)

    def _started_loop(self) -> asyncio.AbstractEventLoop:
        if self._client is None or self._loop is None:
            raise RuntimeError("the producer is not started (or already closed)")
        return self._loop

    async def _healthy_client(self) -> _Client:
        client = self._client
        if client is None:
            raise RuntimeError("the producer is closed")
        if client.failed.is_set():
            self._client = _Client(self._config)
            # What the failed client still holds fails now; callers publish it again.
            await asyncio.to_thread(client.close, 0)
            client = self._client
        return client

    @staticmethod
    def _on_delivery(
        loop: asyncio.AbstractEventLoop,
        delivered: asyncio.Future[Message],
        error: KafkaError | None,
        message: Message,
    ) -> None:
        # Runs on a librdkafka-serving thread, never on the loop. A closed loop raises
        # RuntimeError: nobody is waiting for this report any more.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_settle, delivered, error, message)


def _settle(delivered: asyncio.Future[Message], error: KafkaError | None, message: Message) -> None:
    if delivered.done():  # the waiter was cancelled
        return
    if error is None:
        delivered.set_result(message)
    else:
        delivered.set_exception(DeliveryFailed(f"{error.name()}: {error.str()}"))
