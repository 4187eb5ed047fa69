"""The rule of a request budget (``ticketing_core.budgets``) and who a request comes from
(``ClientAddresses``): pure functions, no server."""

from __future__ import annotations

import ipaddress
from typing import Any

import pytest

from ticketing_adapters.memory.budgets import MemoryRequestBudgets
from ticketing_core.budgets import Budget, retry_after_seconds, spend
from ticketing_entrypoints.http.client_address import ClientAddresses, bucket_of

pytestmark = [pytest.mark.unit, pytest.mark.anyio]

SECOND = 1_000_000


def passed_at(budget: Budget, times_us: list[int]) -> list[bool]:
    arrival, passed = 0, []
    for now in times_us:
        spent = spend(arrival, budget, now)
        arrival = spent.arrival_us
        passed.append(spent.passed)
    return passed


def test_a_burst_passes_at_once_then_the_rate_refills_it() -> None:
    budget = Budget(per_second=2, burst=3)
    t0 = 1_000 * SECOND
    assert passed_at(budget, [t0] * 4) == [True, True, True, False]
    # Half a second later one request's worth came back, and only one.
    assert passed_at(budget, [t0] * 3 + [t0 + SECOND // 2] * 2) == [True] * 4 + [False]


def test_the_wait_of_a_refusal_is_exactly_enough() -> None:
    budget = Budget(per_second=3, burst=1)
    t0 = 5 * SECOND
    first = spend(0, budget, t0)
    refused = spend(first.arrival_us, budget, t0 + 1)
    assert not refused.passed
    assert refused.arrival_us == first.arrival_us, "a refusal spends nothing"
    passes_at = t0 + 1 + refused.wait_us
    assert spend(first.arrival_us, budget, passes_at).passed
    assert not spend(first.arrival_us, budget, passes_at - 1).passed
    assert retry_after_seconds(refused.wait_us) == 1
    assert retry_after_seconds(2 * SECOND + 1) == 3, "Retry-After rounds up"


def test_a_budget_refuses_a_rate_or_burst_that_lets_nothing_through() -> None:
    with pytest.raises(ValueError, match="rate > 0"):
        Budget(per_second=0, burst=5)
    with pytest.raises(ValueError, match="burst >= 1"):
        Budget(per_second=1, burst=0)


def scope(peer: str, *forwarded: str) -> Any:
    """The parts of an ASGI HTTP scope that ``ClientAddresses`` reads."""
    headers = [(b"x-forwarded-for", value.encode()) for value in forwarded]
    return {"type": "http", "client": (peer, 40000), "headers": headers}


PROXIES = ClientAddresses([ipaddress.ip_network("10.0.0.0/24"), ipaddress.ip_network("::1")])


def test_an_untrusted_peer_is_the_client_whatever_it_forwards() -> None:
    assert PROXIES.of(scope("203.0.113.7", "198.51.100.1")) == "203.0.113.7"
    assert ClientAddresses([]).of(scope("10.0.0.1", "198.51.100.1")) == "10.0.0.1"


def test_a_trusted_proxy_names_the_nearest_address_that_is_no_proxy() -> None:
    assert PROXIES.of(scope("10.0.0.1", "198.51.100.1")) == "198.51.100.1"
    # The client wrote the first entry itself; the proxies appended the rest.
    assert PROXIES.of(scope("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.2")) == "198.51.100.1"
    assert PROXIES.of(scope("10.0.0.1", "6.6.6.6", "198.51.100.1")) == "198.51.100.1"
    assert PROXIES.of(scope("::1", "2001:db8::5")) == "2001:db8::5"


def test_ports_brackets_and_ipv4_written_as_ipv6_are_read_as_addresses() -> None:
    assert PROXIES.of(scope("10.0.0.1", "198.51.100.1:5555")) == "198.51.100.1"
    assert PROXIES.of(scope("10.0.0.1", "[2001:db8::7]:443")) == "2001:db8::7"
    assert PROXIES.of(scope("::ffff:10.0.0.1", "198.51.100.1")) == "198.51.100.1"
    assert PROXIES.of(scope("::ffff:203.0.113.9")) == "203.0.113.9"


def test_an_ipv6_client_is_its_64_and_an_ipv4_client_its_address() -> None:
    assert bucket_of("2001:db8:1:2:aaaa::1") == bucket_of("2001:db8:1:2:bbbb::9")
    assert bucket_of("2001:db8:1:2::1") != bucket_of("2001:db8:1:3::1")
    assert bucket_of("203.0.113.9") == "203.0.113.9"


async def test_memory_budgets_spend_all_or_none_and_say_the_longest_wait() -> None:
    budgets = MemoryRequestBudgets()
    slow, slower = Budget(per_second=1, burst=1), Budget(per_second=0.1, burst=1)
    assert await budgets.spend([("a", slow)]) == (0, 0)
    assert await budgets.spend([("b", slower)]) == (0, 0)
    index, wait = await budgets.spend([("a", slow), ("b", slower), ("c", slow)])
    assert index == 1, "b has room last"
    assert wait > 5 * SECOND
    assert await budgets.spend([("c", slow)]) == (0, 0), "c was not spent by the refusal"
    assert (await budgets.spend([("c", slow)]))[1] > 0


def test_what_is_no_address_stops_at_the_hop_that_wrote_it() -> None:
    assert PROXIES.of(scope("10.0.0.1", "198.51.100.1, garbage")) == "10.0.0.1"
    assert PROXIES.of(scope("10.0.0.1", "garbage, 10.0.0.2")) == "10.0.0.2"
    assert PROXIES.of(scope("10.0.0.1")) == "10.0.0.1", "no header: the proxy itself"
    no_client: Any = {"type": "http", "headers": []}
    assert PROXIES.of(no_client) == "unknown"
