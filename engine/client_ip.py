"""The client's address, read from ``X-Forwarded-For`` only as far as trusted proxies vouch for it.

Every part of the product that needs "who is calling" (the audit trail, the sign-in throttles, the
login lockout) asks this one helper, so a forged header cannot give one answer to the audit trail and
another to the throttle.

Settings (from the environment, see the README):

- ``TRUSTED_PROXIES``: addresses or networks of the reverse proxies in front of the application.
  The header is read only when the peer (``REMOTE_ADDR``) is one of them; hops are then walked from the
  right, skipping trusted proxies, and the first other address is the client.
- ``TRUSTED_PROXY_COUNT``: when no addresses are given, how many proxies append to the header; the
  client is that many hops from the right.

With neither set (the default) the header is ignored. Anything that does not parse as an IP address
(``unknown``, ``1.2.3.4:5678``, ``not-an-ip``) makes the answer the peer address, never an error.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from typing import Any

from django.conf import settings

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_ip(value: Any) -> str | None:
    """The canonical text of an IP address, or None when ``value`` is not one."""
    if not isinstance(value, str):
        return None
    try:
        address = ipaddress.ip_address(value.strip())
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address):
        if address.scope_id is not None:
            # "fe80::1%eth0": PostgreSQL's inet has no zone index; the zone means nothing to us anyway.
            address = ipaddress.IPv6Address(str(address).split("%", 1)[0])
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
    return str(address)


def _networks(entries: Iterable[str]) -> list[IPNetwork]:
    networks: list[IPNetwork] = []
    for entry in entries:
        try:
            networks.append(ipaddress.ip_network(entry.strip(), strict=False))
        except ValueError:
            continue
    return networks


def _trusted(address: str, networks: list[IPNetwork]) -> bool:
    ip = ipaddress.ip_address(address)
    return any(ip.version == network.version and ip in network for network in networks)


def trusted_proxy_networks() -> list[IPNetwork]:
    return _networks(getattr(settings, "TRUSTED_PROXIES", []) or [])


def trusted_proxy_count() -> int:
    try:
        return max(int(getattr(settings, "TRUSTED_PROXY_COUNT", 0) or 0), 0)
    except (TypeError, ValueError):
        return 0


def client_ip(request: Any) -> str | None:
    """The address of the client behind the trusted proxies; the peer address when in doubt."""
    meta = getattr(request, "META", {})
    peer = parse_ip(meta.get("REMOTE_ADDR"))
    header = meta.get("HTTP_X_FORWARDED_FOR", "")
    if peer is None or not isinstance(header, str) or not header.strip():
        return peer
    hops = [hop.strip() for hop in header.split(",")]
    networks = trusted_proxy_networks()
    if networks:
        if not _trusted(peer, networks):
            return peer
        address = peer
        for hop in reversed(hops):
            parsed = parse_ip(hop)
            if parsed is None:
                return peer
            address = parsed
            if not _trusted(address, networks):
                return address
        # Every hop is a proxy of ours (a health check from inside): the leftmost is the client.
        return address
    count = trusted_proxy_count()
    if count == 0 or count > len(hops):
        return peer
    return parse_ip(hops[-count]) or peer
