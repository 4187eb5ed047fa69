"""One fault at a time, at random: SIGKILL or SIGSTOP one of Redis, the Kafka broker,
PostgreSQL, a worker or an API instance; after a while SIGCONT it, or start it again with the
project's script (the shared services, the Redis) or as it was started (the processes)."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import signal

from chaos.stack import APIS, WORKERS, ChaosStack, shared_pid, shared_up

TARGETS = ("redis", "postgres", "kafka", *APIS, *WORKERS)
HOLD_SECONDS = (0.2, 1.0)
"""How long a fault lasts before the target is resumed or restarted."""
BETWEEN_SECONDS = (0.05, 0.3)
KAFKA_KILL_CHANCE = 0.1
"""A killed broker takes many seconds to start again: most Kafka faults are pauses."""


class Nemesis:
    def __init__(self, stack: ChaosStack, rng: random.Random) -> None:
        self._stack = stack
        self._rng = rng
        self.injected: list[str] = []

    async def run(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            await self._pause(self._rng.uniform(*BETWEEN_SECONDS), stop)
            if stop.is_set():
                return
            await asyncio.to_thread(self._stack.revive)
            target = self._rng.choice(TARGETS)
            kill = self._rng.random() < (KAFKA_KILL_CHANCE if target == "kafka" else 0.5)
            signum = signal.SIGKILL if kill else signal.SIGSTOP
            await asyncio.to_thread(self._inject, target, signum)
            self.injected.append(f"{signum.name} {target}")
            # The fault's length, drawn from the seed: a duration, not a wait for a state.
            await asyncio.sleep(self._rng.uniform(*HOLD_SECONDS))
            await asyncio.to_thread(self._recover, target, signum)

    async def _pause(self, seconds: float, stop: asyncio.Event) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), seconds)

    def _inject(self, target: str, signum: signal.Signals) -> None:
        if target in (*APIS, *WORKERS):
            self._stack.signal(target, signum)
        elif target == "redis":
            self._stack.redis.signal(signum)
        else:
            os.kill(shared_pid(target), signum)

    def _recover(self, target: str, signum: signal.Signals) -> None:
        if signum is signal.SIGSTOP:
            self._inject(target, signal.SIGCONT)
        elif target in (*APIS, *WORKERS):
            self._stack.processes[target].wait()
            self._stack.start(target)
        elif target == "redis":
            self._stack.redis.up()
        else:
            shared_up(target)
