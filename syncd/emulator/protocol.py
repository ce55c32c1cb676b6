"""Dropping connections: uvicorn's httptools protocol, extended so the app can hang up.

ASGI gives an application no way to close its socket. The emulator's server uses
``AbortableHttpToolsProtocol``, which puts a ``close`` callable into each request's
``scope["extensions"]["syncd.emulator.transport"]``. Calling it closes the TCP
connection at once, so the client sees no response at all; httpx raises
``RemoteProtocolError("Server disconnected without sending a response.")``, or a
``ReadError``/``WriteError`` (connection reset) when the request body was still unread.

Under another server (no extension), ``drop_connection`` falls back to sending response
headers that promise one body byte and then returning; uvicorn then closes the
connection and httpx raises ``RemoteProtocolError`` ("peer closed connection without
sending complete message body"). Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import socket

from starlette.types import Scope, Send
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

EXTENSION = "syncd.emulator.transport"


class AbortableHttpToolsProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose requests carry a way to close the connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Accept a connection; replies go out without Nagle delays."""
        super().connection_made(transport)
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def on_message_begin(self) -> None:
        """Start a request and expose ``close`` for it."""
        super().on_message_begin()
        self.scope["extensions"] = {EXTENSION: {"close": self.transport.close}}


async def drop_connection(scope: Scope, send: Send) -> None:
    """Hang up on the client without answering."""
    close = scope.get("extensions", {}).get(EXTENSION, {}).get("close")
    if close is not None:
        close()
        await asyncio.sleep(0)  # let uvicorn see the connection is gone
        return
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"1")]}
    )
