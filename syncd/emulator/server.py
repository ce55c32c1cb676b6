"""Running the emulator: in a background thread (``EmulatorServer``) or in the foreground.

Both bind the socket themselves (so port 0 resolves before clients start), serve with
uvicorn's httptools protocol (extended to allow dropped connections) on an asyncio loop,
and keep every piece of state on that loop; the Python admin methods hop onto it.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import asyncio
import logging
import signal
import threading
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import replace
from types import FrameType, TracebackType
from typing import Any, TypeVar

from syncd.emulator import admin
from syncd.emulator.faults import FaultRule, parse_fault
from syncd.emulator.options import EmulatorOptions
from syncd.emulator.runner import PromptServer, bind, make_server, url_for
from syncd.emulator.s3 import S3App
from syncd.emulator.state import EmulatorState

T = TypeVar("T")
STOP_TIMEOUT_S = 10.0


class EmulatorServer:
    """The emulator on a background thread with its own event loop.

    Use as a context manager, or call ``start()`` and ``stop()``.
    """

    def __init__(self, options: EmulatorOptions) -> None:
        options.check()
        self.options = options
        self._state: EmulatorState | None = None
        self._server: PromptServer | None = None
        self._s3_server: PromptServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._base_url = ""

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT`` once started."""
        if not self._base_url:
            raise RuntimeError("the emulator is not running")
        return self._base_url

    @property
    def s3_url(self) -> str:
        """``http://127.0.0.1:PORT`` of the S3-compatible API, once started."""
        self._running_state()
        return self._running_state().s3_url

    @property
    def key_id(self) -> str:
        """The master application key id."""
        return self.options.key_id

    @property
    def key(self) -> str:
        """The master application key."""
        return self.options.key

    @property
    def account_id(self) -> str:
        """The emulated account's id."""
        return self._running_state().account_id

    def start(self) -> None:
        """Bind, start serving on a thread, and return once listening."""
        if self._thread is not None:
            raise RuntimeError("the emulator is already running")
        state = EmulatorState(self.options)
        sock = bind(self.options)
        s3_sock = bind(replace(self.options, port=self.options.s3_port))
        state.base_url = url_for(self.options, sock)
        state.s3_url = url_for(self.options, s3_sock)
        server = make_server(state)
        s3_server = make_server(state, S3App(state))
        loop = asyncio.new_event_loop()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(
                    asyncio.gather(server.serve(sockets=[sock]), s3_server.serve(sockets=[s3_sock]))
                )
            except Exception as exc:
                logging.getLogger(__name__).exception("the emulator thread failed")
                failure.append(exc)
            finally:
                sock.close()
                s3_sock.close()
                loop.run_until_complete(loop.shutdown_default_executor())
                loop.close()

        thread = threading.Thread(target=run, name="b2-emulator", daemon=True)
        thread.start()
        while not (server.started and s3_server.started) and thread.is_alive():
            thread.join(0.005)
        if not (server.started and s3_server.started):
            state.close()
            raise RuntimeError(f"the emulator did not start: {failure[:1]}")
        self._state, self._server, self._loop, self._thread = state, server, loop, thread
        self._s3_server = s3_server
        self._base_url = state.base_url

    def stop(self) -> None:
        """Stop serving and close the database (idempotent)."""
        server, thread, state = self._server, self._thread, self._state
        if server is None or thread is None or state is None:
            return
        s3_server = self._s3_server
        for each in (server, s3_server):
            if each is not None:
                each.request_stop()
        thread.join(STOP_TIMEOUT_S)
        if thread.is_alive():
            for each in (server, s3_server):
                if each is not None:
                    each.force_exit = True
            thread.join(STOP_TIMEOUT_S)
        state.close()
        self._state = self._server = self._s3_server = self._loop = self._thread = None
        self._base_url = ""

    def __enter__(self) -> EmulatorServer:
        """Start and return self."""
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        """Stop."""
        self.stop()

    def _running_state(self) -> EmulatorState:
        if self._state is None:
            raise RuntimeError("the emulator is not running")
        return self._state

    def _on_loop(self, action: Callable[[EmulatorState], T]) -> T:
        state = self._running_state()
        assert self._loop is not None

        async def hop() -> T:
            return action(state)

        coroutine: Coroutine[Any, Any, T] = hop()
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(STOP_TIMEOUT_S)

    def stats(self) -> dict[str, Any]:
        """Call counts per call and per transaction class (as ``GET /_emulator/stats``)."""
        return self._on_loop(admin.stats)

    def reset_stats(self) -> None:
        """Zero the counters."""
        self._on_loop(admin.reset_stats)

    def set_faults(self, rules: Sequence[FaultRule | str]) -> None:
        """Replace the fault rules (``FaultRule`` objects or ``--fault`` spec strings).

        Raises:
            ValueError: for a bad spec string.
        """
        parsed = tuple(parse_fault(r) if isinstance(r, str) else r for r in rules)
        self._on_loop(lambda state: admin.set_faults(state, parsed))

    def set_faults_spec(self, specs: Sequence[str]) -> None:
        """Replace the fault rules with parsed ``--fault`` specs."""
        self.set_faults(specs)

    def faults(self) -> tuple[FaultRule, ...]:
        """The active fault rules."""
        return self._on_loop(lambda state: tuple(state.faults.rules))

    def set_test_mode(self, mode: str | None) -> None:
        """Set or clear the global ``X-Bz-Test-Mode`` behaviour."""
        self._on_loop(lambda state: admin.set_test_mode(state, mode))

    def expire_tokens(self) -> int:
        """Expire every account token now; return how many were live."""
        return self._on_loop(admin.expire_tokens)

    def advance_clock(self, ms: int) -> int:
        """Move the emulator clock forward by ``ms`` (lifecycle rules run at the new
        time); return the new time in ms."""
        return self._on_loop(lambda state: admin.advance_clock(state, ms))

    def now_ms(self) -> int:
        """The emulator clock in ms (B2 upload timestamps come from it)."""
        return self._on_loop(lambda state: state.now_ms())


def serve_forever(options: EmulatorOptions, announce: Callable[[str], None]) -> None:
    """Serve in the foreground until SIGINT or SIGTERM, then return.

    ``announce(base_url)`` is called once the socket is listening.
    """
    options.check()
    state = EmulatorState(options)
    sock = bind(options)
    s3_sock = bind(replace(options, port=options.s3_port))
    state.base_url = url_for(options, sock)
    state.s3_url = url_for(options, s3_sock)
    server = make_server(state)
    s3_server = make_server(state, S3App(state))

    def ignore(signum: int, frame: FrameType | None) -> None:
        """uvicorn re-raises the stop signal after shutdown; swallow it here."""

    previous = {sig: signal.signal(sig, ignore) for sig in (signal.SIGINT, signal.SIGTERM)}

    async def main() -> None:
        task = asyncio.gather(server.serve(sockets=[sock]), s3_server.serve(sockets=[s3_sock]))
        while not (server.started and s3_server.started) and not task.done():
            await asyncio.sleep(0.005)
        if server.started:
            announce(state.base_url)
        await task

    try:
        asyncio.run(main())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        s3_sock.close()
        state.close()
        logging.getLogger(__name__).debug("emulator stopped")
