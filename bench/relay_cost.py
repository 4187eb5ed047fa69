"""CPU per message the outbox relay costs the process it runs in: ``python -m bench.relay_cost``.

The relay runs inside every API process, so its CPU comes out of the one Python thread that
also serves the requests. This holds ``--messages`` reservations in a fresh event on Redis
(TICKETING_REDIS_URL; the event is removed at the end), then relays their outbox to Kafka
(TICKETING_KAFKA_BOOTSTRAP; topics of the run, deleted at the end) as the API's driver does,
1,000 at a time, and prints the CPU each thread of this process used per message meanwhile
(from /proc: the event loop's thread, the producer's poll thread, librdkafka's own threads).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path

from bench.stack import delete_topics
from ticketing_adapters.kafka.bus import KafkaEventBus
from ticketing_adapters.kafka.config import KafkaConfig
from ticketing_adapters.memory import memory_record
from ticketing_adapters.redis import open_redis_hot_state
from ticketing_adapters.redis.client import RedisClient
from ticketing_adapters.redis.keys import EVENTS_KEY, KEY_NAMES, event_key
from ticketing_core.relay import OutboxRelay
from ticketing_core.service import TicketingService
from ticketing_core.settings import EventSettings
from ticketing_entrypoints.backends import redis_backends
from ticketing_entrypoints.bootstrap import bootstrapped
from ticketing_entrypoints.jobs.drivers import RELAY_BATCH

TASKS = Path("/proc/self/task")


def thread_cpu_seconds() -> dict[str, float]:
    """CPU seconds of each live thread of this process, by name and id (the event loop runs
    on the main thread, whose id is the process's)."""
    ticks = os.sysconf("SC_CLK_TCK")
    used = {}
    for task in TASKS.iterdir():
        try:
            name = (task / "comm").read_text().strip()
            fields = (task / "stat").read_text().rsplit(")", 1)[1].split()
        except FileNotFoundError:  # the thread ended meanwhile
            continue
        main = " main thread" if int(task.name) == os.getpid() else ""
        used[f"{name} ({task.name}{main})"] = (int(fields[11]) + int(fields[12])) / ticks
    return used


async def forget(client: RedisClient, event_id: str) -> None:
    """The run's event leaves Redis (its keys and its place in the catalog)."""
    await client.delete(*(event_key(event_id, name) for name in KEY_NAMES))
    await client.zrem(EVENTS_KEY, event_id)


async def measure(messages: int) -> None:
    run = uuid.uuid4().hex[:8]
    event_id = f"relay-cost-{run}"
    hot = await open_redis_hot_state(os.environ["TICKETING_REDIS_URL"])
    bus = KafkaEventBus(
        KafkaConfig(
            os.environ["TICKETING_KAFKA_BOOTSTRAP"],
            topic=f"bench.{run}.relay",
            dead_letter_topic=f"bench.{run}.relay.dlq",
        )
    )
    await bus.start()
    backends = redis_backends(hot, bus, memory_record().durable_record)
    try:
        # Built as an API instance builds them: the relay meters its bus as it does there.
        async with bootstrapped(backends=backends) as root:
            relayed, wall, used = await relay_held(root.service(), root.relay(), event_id, messages)
    finally:
        await bus.close()
        await forget(hot.client, event_id)
        await hot.close()
        await asyncio.to_thread(
            delete_topics, os.environ["TICKETING_KAFKA_BOOTSTRAP"], f"bench.{run}."
        )

    print(f"relayed {relayed:,} messages in {wall:.2f} s ({relayed / wall:,.0f}/s)")
    for name, seconds in sorted(used.items(), key=lambda item: -item[1]):
        if seconds > 0:
            print(f"  {name:<28} {seconds / relayed * 1e6:6.1f} us CPU per message")
    print(f"  {'all threads':<28} {sum(used.values()) / relayed * 1e6:6.1f} us CPU per message")


async def relay_held(
    service: TicketingService, relay: OutboxRelay, event_id: str, messages: int
) -> tuple[int, float, dict[str, float]]:
    """Holds ``messages`` seats, then relays them: how many, the wall seconds, and the CPU
    seconds each thread used meanwhile."""
    await service.create_event(
        EventSettings(
            event_id=event_id,
            name="Relay cost",
            total_seats=messages,
            opens_at=datetime.now(UTC),
            admission_rate_per_second=100_000,
            max_active_users=1_000_000,
        )
    )
    users = [f"u{n}" for n in range(messages)]
    for user in users:
        await service.enter(event_id, user)
    while (await service.stats(event_id)).waiting_users:
        await service.tick(event_id)
    await asyncio.gather(*(service.reserve(event_id, user, 1) for user in users))

    before, started = thread_cpu_seconds(), time.monotonic()
    relayed = 0
    while batch := await relay.relay(event_id, RELAY_BATCH):
        relayed += batch
    wall, after = time.monotonic() - started, thread_cpu_seconds()
    return relayed, wall, {name: seconds - before.get(name, 0.0) for name, seconds in after.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=int, default=20_000)
    asyncio.run(measure(parser.parse_args().messages))


if __name__ == "__main__":
    main()
