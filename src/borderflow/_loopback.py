"""Whether a host names this machine's loopback: for `serve` (may it go without a token?) and
the Ray executor (is the cluster confined to this machine?)."""

from __future__ import annotations

import ipaddress


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback IP address (IPv6 with or without brackets); any other name
    may resolve to anything, so it is not."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False
