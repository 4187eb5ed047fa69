"""Which address a request comes from: the peer's, or what a trusted proxy says it is.

``X-Forwarded-For`` is a list any client can write; only the entries appended by proxies we
run can be believed. So it is read only when the peer is a trusted proxy
(``TICKETING_TRUSTED_PROXIES``), from the right (the nearest hop): the first address that is
not itself a trusted proxy is the client. An entry that is no address stops the walk at the
hop that wrote it. Entries may carry a port (``1.2.3.4:5555``, ``[2001:db8::1]:443``), and an
IPv4 address written as IPv6 (``::ffff:1.2.3.4``) is the IPv4 address.

``bucket_of`` is the client a budget counts: the address, or for IPv6 its /64, the block one
host commonly holds (it could otherwise take a new address for every request).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from litestar.types import Scope

from ticketing_entrypoints.settings import IPNetwork

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

UNKNOWN = "unknown"
"""The address of a request whose server gave none (a test transport, a Unix socket)."""
IPV6_CLIENT_PREFIX = 64


class ClientAddresses:
    def __init__(self, trusted_proxies: Sequence[IPNetwork]) -> None:
        self._trusted = tuple(trusted_proxies)

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = _address(client[0]) if client else None
        if peer is None:
            return UNKNOWN
        if not self._trusted or not self._is_trusted(peer):
            return str(peer)
        forwarded = [
            bytes(value).decode("latin-1")
            for name, value in scope["headers"]
            if name == b"x-forwarded-for"
        ]
        hops = [hop.strip() for header in forwarded for hop in header.split(",")]
        nearest = peer
        for hop in reversed(hops):
            address = _address(hop)
            if address is None:
                break
            if not self._is_trusted(address):
                return str(address)
            nearest = address
        return str(nearest)

    def _is_trusted(self, address: IPAddress) -> bool:
        return any(address in network for network in self._trusted)


def bucket_of(address: str) -> str:
    """The client whose budget a request from ``address`` spends."""
    if ":" not in address:
        return address
    network = ipaddress.ip_network(f"{address}/{IPV6_CLIENT_PREFIX}", strict=False)
    return str(network)


def _address(text: str) -> IPAddress | None:
    """``text`` as an address (a port or brackets dropped, IPv4-mapped made IPv4); None if it
    is none."""
    if text.startswith("["):
        text = text[1 : text.find("]")] if "]" in text else ""
    elif text.count(":") == 1:
        text = text.partition(":")[0]
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address
