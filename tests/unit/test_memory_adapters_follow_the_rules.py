"""The in-memory adapters, proven by the public harness against the reference model."""

from __future__ import annotations

from hypothesis import HealthCheck, settings

from ticketing_adapters.memory import MemoryOutbox, MemoryQueueStore, MemorySales, MemoryStockStore
from ticketing_adapters.memory.stores import MemoryEventCatalog
from ticketing_core.testing import HotState, sale_machine


async def memory_hot_state() -> HotState:
    sales = MemorySales()

    async def close() -> None:
        return None

    return HotState(
        catalog=MemoryEventCatalog(sales),
        queue=MemoryQueueStore(sales),
        stock=MemoryStockStore(sales),
        outbox=MemoryOutbox(sales),
        close=close,
    )


MemorySaleMachine = sale_machine(memory_hot_state)
MemorySaleMachine.TestCase.settings = settings(
    max_examples=300,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
TestMemoryAdaptersFollowTheRules = MemorySaleMachine.TestCase
