"""sd_notify for systemd: READY, STATUS, WATCHDOG, STOPPING; silent elsewhere.

Imports nothing from syncd; the only importer of ``sdnotify``. Under launchd, in
tests and from a terminal ``NOTIFY_SOCKET`` is unset and every call does nothing.
``WATCHDOG_USEC`` is part of the same systemd protocol, so it is read here.
"""

from __future__ import annotations

import contextlib
import os

import sdnotify


class ServiceNotifier:
    """Tells the service manager how the daemon is doing."""

    def __init__(self) -> None:
        address = os.environ.get("NOTIFY_SOCKET", "")
        self._enabled = bool(address)
        # sdnotify leaks its socket when connect fails: do not ask it to connect to a
        # path that is not there (the manager is gone; messages are dropped anyway).
        reachable = address.startswith("@") or os.path.exists(address)
        self._notifier = sdnotify.SystemdNotifier() if self._enabled and reachable else None
        if self._notifier is not None and self._notifier.socket is not None:
            # Never block the daemon's main loop on a service manager that stopped reading.
            self._notifier.socket.setblocking(False)

    def close(self) -> None:
        """Close the socket to the service manager (idempotent)."""
        if self._notifier is not None and self._notifier.socket is not None:
            self._notifier.socket.close()
        self._notifier = None

    def __enter__(self) -> ServiceNotifier:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def enabled(self) -> bool:
        """True when a service manager listens."""
        return self._enabled

    def _send(self, message: str) -> None:
        if self._notifier is not None and self._notifier.socket is not None:
            # A full buffer or a vanished manager drops this message; the daemon goes on.
            with contextlib.suppress(OSError):
                self._notifier.socket.sendall(message.encode())

    def ready(self, status: str) -> None:
        """Start-up is over; the daemon serves."""
        self._send(f"READY=1\nSTATUS={status}")

    def status(self, status: str) -> None:
        """A one-line status shown by ``systemctl status``."""
        self._send(f"STATUS={status}")

    def watchdog(self) -> None:
        """The daemon is alive; send only while every worker is healthy."""
        self._send("WATCHDOG=1")

    def extend_timeout(self, seconds: float) -> None:
        """Ask for more time during a long start or stop."""
        self._send(f"EXTEND_TIMEOUT_USEC={int(seconds * 1_000_000)}")

    def stopping(self) -> None:
        """Shutdown has begun."""
        self._send("STOPPING=1")

    def watchdog_interval_s(self) -> float | None:
        """Half the watchdog period systemd asked for, or None without a watchdog."""
        usec = os.environ.get("WATCHDOG_USEC", "")
        pid = os.environ.get("WATCHDOG_PID", "")
        if not self._enabled or not usec.isdigit() or (pid and pid != str(os.getpid())):
            return None
        return int(usec) / 2_000_000
