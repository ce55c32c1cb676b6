"""The uvicorn server the emulator runs on: socket binding and a prompt shutdown.

``PromptServer`` wakes as soon as a stop is requested (uvicorn's stock main loop polls
every 100 ms and its shutdown sleeps another 100 ms, which adds up over hundreds of
test fixtures). In-flight requests get a short grace period, then are cancelled.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

from syncd.emulator.app import EmulatorApp
from syncd.emulator.options import EmulatorOptions
from syncd.emulator.protocol import AbortableHttpToolsProtocol
from syncd.emulator.state import EmulatorState

GRACE_S = 2.0
DATE_REFRESH_S = 1.0


class PromptServer(uvicorn.Server):
    """uvicorn.Server that stops without polling delays."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._wake = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None

    async def main_loop(self) -> None:
        """Refresh the Date header each second until asked to stop."""
        self._loop = asyncio.get_running_loop()
        while not await self.on_tick(0):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), DATE_REFRESH_S)

    def request_stop(self) -> None:
        """Ask the server to stop (callable from any thread)."""
        self.should_exit = True
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._wake.set)

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """Signal handler: stop promptly."""
        super().handle_exit(sig, frame)
        self.request_stop()

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """Stop accepting, let busy connections finish briefly, then close everything."""
        for server in self.servers:
            server.close()
        state = self.server_state
        for connection in list(state.connections):
            connection.shutdown()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + GRACE_S
        while (state.connections or state.tasks) and loop.time() < deadline and not self.force_exit:
            await asyncio.sleep(0.005)
        for task in list(state.tasks):
            task.cancel()
        for connection in list(state.connections):
            transport = getattr(connection, "transport", None)
            if transport is not None:
                transport.close()
        await asyncio.sleep(0)
        for server in self.servers:
            await server.wait_closed()


def bind(options: EmulatorOptions) -> socket.socket:
    """A listening, non-blocking socket on the configured loopback address."""
    family = socket.AF_INET6 if ":" in options.host else socket.AF_INET
    # proto must be IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets whose
    # proto says TCP, and without it every reply waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((options.host, options.port))
    except OSError:
        sock.close()
        raise
    sock.listen(1024)
    sock.setblocking(False)
    return sock


def url_for(options: EmulatorOptions, sock: socket.socket) -> str:
    """``http://host:port`` for the bound socket."""
    port = sock.getsockname()[1]
    host = f"[{options.host}]" if ":" in options.host else options.host
    return f"http://{host}:{port}"


def make_server(state: EmulatorState, app: ASGIApp | None = None) -> PromptServer:
    """A uvicorn server for ``state`` (httptools, asyncio loop, quiet logs) serving the
    native API, or ``app`` (the S3-compatible API) on the same state."""
    config = uvicorn.Config(
        app or EmulatorApp(state),
        http=AbortableHttpToolsProtocol,
        loop="asyncio",
        lifespan="off",
        log_config=None,  # leave the host program's logging configuration alone
        log_level="warning",
        access_log=False,
        server_header=False,
        timeout_keep_alive=30,
        backlog=1024,
    )
    return PromptServer(config)
