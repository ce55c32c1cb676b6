"""One HTTP connection pool per thread: each worker keeps its own kept-alive connections.

Imports ``httpx`` (the transport layer's adapter; ``syncd.b2.build`` composes it).
A pool shared by every worker makes each request check every idle connection of the
pool (a ``poll`` per connection, under one lock the workers queue on); a pool per
thread holds the one or two connections that thread uses (the API host and its upload
URL's host), so a request checks those only and takes no lock another thread holds.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

import httpx


class _Held:
    """A thread's transport, closed when the thread ends (its ``threading.local`` slot
    is dropped then) or when the whole client closes, whichever comes first."""

    def __init__(self, transport: httpx.BaseTransport, owner: PerThreadTransport) -> None:
        self.transport = transport
        self._owner = owner

    def __del__(self) -> None:
        self._owner.release(self.transport)


class PerThreadTransport(httpx.BaseTransport):
    """An ``httpx`` transport that hands each calling thread a transport of its own
    (threads of a per-file part pool get one each, closed when they end)."""

    def __init__(self, make: Callable[[], httpx.BaseTransport]) -> None:
        self._make = make
        self._local = threading.local()
        self._lock = threading.Lock()
        self._open: list[httpx.BaseTransport] = []
        self._closed = False

    def _mine(self) -> httpx.BaseTransport:
        held: _Held | None = getattr(self._local, "held", None)
        if held is None:
            transport = self._make()
            with self._lock:
                closed = self._closed
                if not closed:
                    self._open.append(transport)
            if closed:
                transport.close()
                raise httpx.TransportError("the HTTP client is closed")
            held = _Held(transport, self)
            self._local.held = held
        return held.transport

    def release(self, transport: httpx.BaseTransport) -> None:
        """Close one thread's transport (its thread ended)."""
        with self._lock:
            if transport not in self._open:
                return  # closed with the client already
            self._open.remove(transport)
        transport.close()

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        """Send ``request`` on the calling thread's own pool."""
        return self._mine().handle_request(request)

    def close(self) -> None:
        """Close every thread's pool (a thread that sends after this gets an error)."""
        with self._lock:
            self._closed = True
            still_open, self._open = self._open, []
        for transport in still_open:
            transport.close()
