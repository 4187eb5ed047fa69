"""Which address a request comes from: the peer's, or what a trusted proxy says it is.

``X-Forwarded-For`` is a list any client can write; only the entries appended by proxies we
run can be believed. So it is read only when the peer is a trusted proxy
(``TICKETING_TRUSTED_PROXIES``), from the right (the nearest hop): the first address that is
not itself a trusted proxy is the client. An entry that is no address stops the walk at the
hop that wrote it.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

from litestar.types import Scope

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

UNKNOWN = "unknown"
"""The address of a request whose server gave none (a test transport, a Unix socket)."""


class ClientAddresses:
    def __init__(self, trusted_proxies: Sequence[IPNetwork]) -> None:
        self._trusted = tuple(trusted_proxies)

    def of(self, scope: Scope) -> str:
        client = scope.get("client")
        peer = client[0] if client else UNKNOWN
        if not self._trusted or not self._is_trusted(peer):
            return peer
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
                return nearest
            if not self._is_trusted(hop):
                return str(address)
            nearest = hop
        return nearest

    def _is_trusted(self, text: str) -> bool:
        address = _address(text)
        return address is not None and any(address in network for network in self._trusted)


def _address(text: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None
