"""One TLS context for every connection to B2, its CA bundle read at the first handshake.

The HTTP transport made its own verified context for each thread's connection pool
(each one read and parsed the whole CA bundle: about 0.15 s of CPU, five times per
``sync-now``), and made it even when every URL was plain http (the emulator on
loopback). :class:`LazyVerifiedContext` is one context, shared by all of them, that
verifies exactly as ``ssl.create_default_context(cafile=certifi.where())`` does (the
transport's own default) but loads the bundle only when a TLS connection is first
made. A context that never loaded is never used: every handshake path loads first.
"""

from __future__ import annotations

import ssl
import threading
from typing import Any

import certifi


class LazyVerifiedContext(ssl.SSLContext):
    """A client context that requires a valid certificate for the host name; the CA
    bundle is loaded on the first ``wrap_socket`` / ``wrap_bio`` (thread-safe)."""

    def __new__(cls) -> LazyVerifiedContext:
        """A TLS client context (certificate and host name checks on)."""
        return super().__new__(cls, ssl.PROTOCOL_TLS_CLIENT)

    def __init__(self) -> None:
        super().__init__()
        self.verify_mode = ssl.CERT_REQUIRED
        self.check_hostname = True
        self._lock = threading.Lock()
        self._loaded = False

    def _load(self) -> None:
        if self._loaded:
            return
        with self._lock:
            if not self._loaded:
                self.load_verify_locations(cafile=certifi.where())
                self._loaded = True

    def wrap_socket(self, *args: Any, **kwargs: Any) -> ssl.SSLSocket:
        """``SSLContext.wrap_socket``, with the CA bundle loaded first."""
        self._load()
        return super().wrap_socket(*args, **kwargs)

    def wrap_bio(self, *args: Any, **kwargs: Any) -> ssl.SSLObject:
        """``SSLContext.wrap_bio``, with the CA bundle loaded first."""
        self._load()
        return super().wrap_bio(*args, **kwargs)
