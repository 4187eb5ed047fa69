"""The consumer worker draining a backlog, beside the same rows upserted with COPY.

200,000 ``reservation.created`` messages are produced to a topic of their own first; then a
``ticketing worker`` process starts on it and its rate is read from the rows' ``persisted_at``
(first to last). The baseline writes the same rows into an empty copy of the schema, in
transactions of the worker's batch size: COPY into a staging table, then the worker's own
upsert rule from it. Its ratio is the worker's overhead over what PostgreSQL itself takes.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx
import psycopg
from confluent_kafka import Producer
from prometheus_client.parser import text_string_to_metric_families
from psycopg import sql

from bench.context import Context, say
from bench.results import Result
from bench.stack import Stack, start_worker, with_search_path
from ticketing_adapters.kafka import KafkaConfig, ensure_topics, producer_settings
from ticketing_adapters.kafka.codec import encode_key, encode_value, headers_of
from ticketing_adapters.postgres import PostgresReservationRepository, migrate, open_pool
from ticketing_adapters.postgres.precedence import moves_condition
from ticketing_core.messages import ReservationMessage
from ticketing_core.model import Reservation, ReservationStatus
from ticketing_core.settings import EventSettings

MESSAGES = 200_000
BATCH = 1_000
"""The worker's default batch (TICKETING_WORKER_BATCH_SIZE); the baseline uses the same."""
DRAIN_WITHIN_SECONDS = 180.0
T0 = 1_900_000_000_000

_UPSERT_FROM_STAGING = sql.SQL("""
INSERT INTO reservations AS r (
    reservation_id, event_id, user_id, quantity, status,
    created_at, expires_at, updated_at, last_message_id
)
SELECT reservation_id, event_id, user_id, quantity, status,
       to_timestamp(created_ms / 1000.0), to_timestamp(expires_ms / 1000.0),
       to_timestamp(updated_ms / 1000.0), message_id
FROM staging
ON CONFLICT (reservation_id) DO UPDATE
    SET status = EXCLUDED.status,
        updated_at = EXCLUDED.updated_at,
        last_message_id = EXCLUDED.last_message_id
    WHERE {supersedes}
""").format(supersedes=moves_condition(sql.SQL("r.status"), sql.SQL("EXCLUDED.status")))
_STAGING = """
CREATE TEMPORARY TABLE staging (
    reservation_id text, event_id text, user_id text, quantity int4, status text,
    created_ms int8, expires_ms int8, updated_ms int8, message_id text
) ON COMMIT DELETE ROWS
"""
_STAGING_TYPES = ["text", "text", "text", "int4", "text", "int8", "int8", "int8", "text"]


def backlog(context: Context) -> Result:
    stack = context.stack
    event = EventSettings(
        event_id=f"backlog-{stack.run_id}",
        name="Bench backlog",
        total_seats=MESSAGES,
        opens_at=datetime.now(UTC),
    )
    messages = [_created(event.event_id, n) for n in range(MESSAGES)]
    asyncio.run(_save_event(stack.database_url, event))
    topic = f"bench.{stack.run_id}.backlog"
    say(f"worker: producing {MESSAGES:,} messages to {topic}")
    _produce(stack, topic, messages)
    say("worker: draining them with ticketing worker")
    worker = start_worker(
        context.processes, stack, topic=topic, group=f"bench-{stack.run_id}-backlog"
    )
    try:
        drained = _drain(worker.url)
    finally:
        context.processes.stop(worker.process)
    worker_rps = _rows_per_second(stack.database_url, event.event_id)
    say(f"worker: the same rows with COPY ({BATCH:,} a transaction) into an empty schema")
    copy_rps = _copy_baseline(stack, event, messages)
    ratio = worker_rps / copy_rps
    return Result(
        scenario="worker_backlog_200k",
        tool="kafka+postgres",
        throughput_rps=round(worker_rps, 1),
        errors=MESSAGES - drained,
        target=">= 50,000 rows/s, >= 0.6 x COPY",
        met=worker_rps >= 50_000 and ratio >= 0.6 and drained == MESSAGES,
        details={
            "copy_baseline_rows_per_s": round(copy_rps, 1),
            "worker_over_copy": round(ratio, 3),
            "batch": BATCH,
        },
    )


def _created(event_id: str, n: int) -> ReservationMessage:
    return ReservationMessage.of(
        Reservation(
            reservation_id=str(uuid.uuid4()),
            event_id=event_id,
            user_id=f"buyer-{n}",
            quantity=1,
            status=ReservationStatus.PENDING,
            created_at=T0 + n,
            expires_at=T0 + n + 600_000,
            updated_at=T0 + n,
        )
    )


async def _save_event(database_url: str, event: EventSettings) -> None:
    async with open_pool(database_url, max_size=1) as pool:
        await PostgresReservationRepository(pool).save_event(event)


def _produce(stack: Stack, topic: str, messages: list[ReservationMessage]) -> None:
    config = KafkaConfig(stack.kafka_bootstrap, topic=topic, dead_letter_topic=f"{topic}.dlq")
    asyncio.run(ensure_topics(config))
    producer = Producer(producer_settings(config))
    for n, message in enumerate(messages):
        while True:
            try:
                producer.produce(
                    topic,
                    value=encode_value(message),
                    key=encode_key(message),
                    headers=headers_of(message),
                )
                break
            except BufferError:
                producer.poll(0.05)
        if n % 10_000 == 0:
            producer.poll(0)
    if producer.flush(120):
        raise RuntimeError("the backlog was not delivered to Kafka")


def _drain(metrics_url: str) -> int:
    """Waits until the worker stored every message; answers how many it stored."""
    deadline = time.monotonic() + DRAIN_WITHIN_SECONDS
    stored = 0
    while time.monotonic() < deadline:
        text = httpx.get(f"{metrics_url}/metrics", timeout=5).text
        stored = int(
            next(
                sample.value
                for family in text_string_to_metric_families(text)
                for sample in family.samples
                if sample.name == "messages_stored_total"
            )
        )
        if stored >= MESSAGES:
            return stored
        time.sleep(0.5)
    return stored


def _rows_per_second(database_url: str, event_id: str) -> float:
    """From the first row's ``persisted_at`` to the last one's."""
    with psycopg.connect(database_url) as connection:
        row = connection.execute(
            "SELECT count(*), extract(epoch FROM max(persisted_at) - min(persisted_at)) "
            "FROM reservations WHERE event_id = %s",
            (event_id,),
        ).fetchone()
    assert row is not None
    count, seconds = int(row[0]), float(row[1])
    return count / seconds


def _copy_baseline(stack: Stack, event: EventSettings, messages: list[ReservationMessage]) -> float:
    schema = f"bench_{stack.run_id}_copy"
    with psycopg.connect(stack.database_url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"'.encode())
    url = with_search_path(stack.database_url, schema)
    try:
        asyncio.run(migrate(url))
        asyncio.run(_save_event(url, event))
        with psycopg.connect(url) as connection:
            connection.execute(_STAGING.encode())
            connection.commit()
            started = time.perf_counter()
            for batch in _batches(messages):
                with connection.cursor() as cursor:
                    with cursor.copy(b"COPY staging FROM STDIN (FORMAT BINARY)") as copy:
                        copy.set_types(_STAGING_TYPES)
                        for message in batch:
                            r = message.reservation
                            copy.write_row(
                                (
                                    r.reservation_id,
                                    r.event_id,
                                    r.user_id,
                                    r.quantity,
                                    r.status.value,
                                    r.created_at,
                                    r.expires_at,
                                    r.updated_at,
                                    message.message_id,
                                )
                            )
                    cursor.execute(_UPSERT_FROM_STAGING)
                connection.commit()
            elapsed = time.perf_counter() - started
    finally:
        with psycopg.connect(stack.database_url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE'.encode())
    return len(messages) / elapsed


def _batches(messages: list[ReservationMessage]) -> Iterator[list[ReservationMessage]]:
    for start in range(0, len(messages), BATCH):
        yield messages[start : start + BATCH]
