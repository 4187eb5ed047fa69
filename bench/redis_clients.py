"""Redis clients on the hot path's kind of call, side by side: ``python -m bench.redis_clients``.

Issue 17 asks whether a maintained multiplexing client (valkey-glide: a Rust core, one
connection per node, Cluster-aware) can replace ours (``ticketing_adapters.redis.pipelined``:
one multiplexed connection, standalone only; Cluster goes through redis-py's pool). Each
client runs the same script by SHA (EVALSHA of one ``HINCRBY`` on a hash-tagged key, so the
server's share is the same small one for all) with ``--concurrency`` calls in flight, as an API
process's requests are, and what is measured is the process's CPU time per call (all its
threads: glide's Rust runtime included) and the calls per second. The clients take turns, in
rounds, so that the machine's drift falls on all of them; each figure is the median of the
rounds. Servers from ``scripts/services.sh`` (TICKETING_REDIS_URL,
TICKETING_TEST_REDIS_CLUSTER_URL).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import time
from collections.abc import Awaitable, Callable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from urllib.parse import urlsplit

from glide import (
    GlideClient,
    GlideClientConfiguration,
    GlideClusterClient,
    GlideClusterClientConfiguration,
    NodeAddress,
    Script,
)
from redis.asyncio import Redis, RedisCluster

from ticketing_adapters.redis.pipelined import PipelinedConnection

LUA = "return redis.call('HINCRBY', KEYS[1], 'n', 1)"
KEY = "{bench-clients}:counter"

Call = Callable[[], Awaitable[object]]


@dataclass(frozen=True, slots=True)
class Measured:
    client: str
    calls_per_second: float
    cpu_us_per_call: float


async def standalone_clients(url: str, stack: AsyncExitStack) -> dict[str, Call]:
    host, port = _address(url)
    redis_py = Redis.from_url(url)
    stack.push_async_callback(redis_py.aclose)
    sha = str(await redis_py.script_load(LUA))
    ours = PipelinedConnection(url, reply_timeout=5.0)
    stack.push_async_callback(ours.close)
    glide = await GlideClient.create(GlideClientConfiguration([NodeAddress(host, port)]))
    stack.push_async_callback(glide.close)
    script = Script(LUA)  # type: ignore[no-untyped-call]  # glide's Script has no annotations
    return {
        "ours (pipelined)": lambda: ours.execute("EVALSHA", sha, 1, KEY),
        "redis-py (pool)": lambda: redis_py.evalsha(sha, 1, KEY),
        "valkey-glide": lambda: glide.invoke_script(script, keys=[KEY]),
    }


async def cluster_clients(url: str, stack: AsyncExitStack) -> dict[str, Call]:
    host, port = _address(url)
    redis_py = RedisCluster.from_url(url)
    stack.push_async_callback(redis_py.aclose)
    sha = str(await redis_py.script_load(LUA))  # on every primary
    glide = await GlideClusterClient.create(
        GlideClusterClientConfiguration([NodeAddress(host, port)])
    )
    stack.push_async_callback(glide.close)
    script = Script(LUA)  # type: ignore[no-untyped-call]  # glide's Script has no annotations
    return {
        "redis-py cluster (pool)": lambda: redis_py.evalsha(sha, 1, KEY),
        "valkey-glide cluster": lambda: glide.invoke_script(script, keys=[KEY]),
    }


async def one_round(call: Call, calls: int, concurrency: int) -> tuple[float, float]:
    """Seconds of wall time and of the process's CPU for ``calls`` calls."""

    async def lane(count: int) -> None:
        for _ in range(count):
            await call()

    lanes = [calls // concurrency] * concurrency
    wall, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(lane(n) for n in lanes))
    return time.perf_counter() - wall, time.process_time() - cpu


async def measure(
    clients: dict[str, Call], calls: int, concurrency: int, rounds: int
) -> list[Measured]:
    for call in clients.values():  # warm: connections, script caches
        await one_round(call, concurrency * 10, concurrency)
    walls: dict[str, list[float]] = {name: [] for name in clients}
    cpus: dict[str, list[float]] = {name: [] for name in clients}
    for _ in range(rounds):
        for name, call in clients.items():
            wall, cpu = await one_round(call, calls, concurrency)
            walls[name].append(wall)
            cpus[name].append(cpu)
    done = calls // concurrency * concurrency
    return [
        Measured(
            name,
            done / statistics.median(walls[name]),
            statistics.median(cpus[name]) / done * 1e6,
        )
        for name in clients
    ]


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 6379


async def main(calls: int, concurrency: int, rounds: int) -> None:
    async with AsyncExitStack() as stack:
        standalone = await standalone_clients(os.environ["TICKETING_REDIS_URL"], stack)
        cluster = await cluster_clients(os.environ["TICKETING_TEST_REDIS_CLUSTER_URL"], stack)
        results = {
            "standalone": await measure(standalone, calls, concurrency, rounds),
            "cluster": await measure(cluster, calls, concurrency, rounds),
        }
    ours = next(m for m in results["standalone"] if m.client.startswith("ours"))
    print(f"{calls:,} EVALSHA per round, {concurrency} in flight, median of {rounds} rounds")
    print(f"{'server':<11} {'client':<24} {'calls/s':>9} {'CPU us/call':>12} {'x ours CPU':>11}")
    for server, measured in results.items():
        for m in measured:
            ratio = m.cpu_us_per_call / ours.cpu_us_per_call
            print(
                f"{server:<11} {m.client:<24} {m.calls_per_second:>9,.0f} "
                f"{m.cpu_us_per_call:>12.1f} {ratio:>11.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=40_000)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--rounds", type=int, default=5)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.calls, arguments.concurrency, arguments.rounds))
