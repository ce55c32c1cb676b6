"""A loopback TCP fault proxy between syncd and the emulator (threads, no dependencies).

Each accepted connection is given a fate by a seeded generator: pass through, reset
(RST) after a random number of bytes, black-hole (stop forwarding, keep the socket open)
after a random number of bytes, or slow (small chunks with pauses). ``outage`` black-holes
every connection, old and new, until it is turned off. Only 127.0.0.1 is used.
"""

from __future__ import annotations

import contextlib
import random
import socket
import struct
import threading
import time
from collections import Counter
from dataclasses import dataclass

CHUNK = 16384


@dataclass
class Fates:
    """Probabilities of each fate for a new connection (the rest pass through)."""

    reset: float = 0.0
    blackhole: float = 0.0
    slow: float = 0.0
    max_bytes: int = 1_500_000  # a fault fires after a uniform 0..max_bytes upstream bytes
    slow_chunk: int = 4096
    slow_pause_s: float = 0.02


class FaultProxy:
    """Forward 127.0.0.1:port to ``upstream`` with injected connection faults."""

    def __init__(self, upstream_port: int, seed: int) -> None:
        self.upstream = ("127.0.0.1", upstream_port)
        self.rng = random.Random(seed)
        self.fates = Fates()
        self.outage = threading.Event()
        self.counts: Counter[str] = Counter()
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._socks: list[socket.socket] = []
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.2)
        self.port = self.listener.getsockname()[1]
        self._thread = threading.Thread(target=self._accept, name="lab-proxy", daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        """The proxy's base URL."""
        return f"http://127.0.0.1:{self.port}"

    def _pick(self) -> tuple[str, int]:
        with self._lock:
            f, r = self.fates, self.rng.random()
            after = self.rng.randint(0, max(1, f.max_bytes))
        if r < f.reset:
            return "reset", after
        if r < f.reset + f.blackhole:
            return "blackhole", after
        if r < f.reset + f.blackhole + f.slow:
            return "slow", 0
        return "pass", 0

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self.listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            try:
                server = socket.create_connection(self.upstream, timeout=5)
            except OSError:
                client.close()
                continue
            fate, after = self._pick()
            with self._lock:
                self.counts["connections"] += 1
                self.counts[fate] += 1
                self._socks += [client, server]
            state = {"up": 0, "fired": False}
            for src, dst, up in ((client, server, True), (server, client, False)):
                threading.Thread(
                    target=self._pump, args=(src, dst, up, fate, after, state), daemon=True
                ).start()

    def _pump(
        self,
        src: socket.socket,
        dst: socket.socket,
        upstream: bool,
        fate: str,
        after: int,
        state: dict[str, int | bool],
    ) -> None:
        src.settimeout(0.5)
        deadline_idle = time.monotonic() + 600
        while not self._stop.is_set() and time.monotonic() < deadline_idle:
            try:
                data = src.recv(CHUNK)
            except TimeoutError:
                continue
            except OSError:
                break
            if not data:
                break
            deadline_idle = time.monotonic() + 600
            if upstream:
                state["up"] = int(state["up"]) + len(data)
            hit = fate in ("reset", "blackhole") and int(state["up"]) >= after
            if self.outage.is_set() or (hit and fate == "blackhole"):
                if not state["fired"]:
                    state["fired"] = True
                    self._count("blackholed")
                continue  # swallow: the peer waits for its timeout
            if hit and fate == "reset":
                if not state["fired"]:
                    state["fired"] = True
                    self._count("resets fired")
                self._rst(src)
                self._rst(dst)
                return
            try:
                if fate == "slow":
                    for i in range(0, len(data), self.fates.slow_chunk):
                        dst.sendall(data[i : i + self.fates.slow_chunk])
                        time.sleep(self.fates.slow_pause_s)
                else:
                    dst.sendall(data)
            except OSError:
                break
        for s in (src, dst):
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)

    def _count(self, key: str) -> None:
        with self._lock:
            self.counts[key] += 1

    @staticmethod
    def _rst(sock: socket.socket) -> None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.close()
        except OSError:
            pass

    def close(self) -> None:
        """Stop accepting and close every socket."""
        self._stop.set()
        self.listener.close()
        self._thread.join(2)
        with self._lock:
            for s in self._socks:
                with contextlib.suppress(OSError):
                    s.close()
