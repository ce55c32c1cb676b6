"""The one rule for "is this address loopback": plain http is allowed there only.

Imports nothing from syncd. The config loader (``realm``) and the B2 client (URLs that
B2 hands out) both ask here, so a realm that passes ``check-config`` is never refused
by ``sync-now``.
"""

from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit


def is_loopback_host(host: str) -> bool:
    """True for ``localhost`` and loopback IP literals (127.0.0.0/8, ::1); a DNS name
    that merely starts with ``127.`` is not one."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def is_loopback_url(url: str) -> bool:
    """True when ``url``'s host is loopback (see ``is_loopback_host``)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    return host is not None and is_loopback_host(host)
