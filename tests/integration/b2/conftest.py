"""Fixtures for B2 client integration tests: the real emulator over HTTP, and a wire log.

The wire log is an httpx event hook on the production HTTP client: it records, per
request, the call, URL, token, thread and wall-clock send time, and per answer the
status and Retry-After. Tests count from it and from the emulator's own stats.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

import httpx
import pytest

from syncd.b2 import B2Client, Bucket, build_client, make_http_client
from syncd.clock import SystemClock
from syncd.config import B2Config
from syncd.domain import LocalState, RelPath
from syncd.emulator import EmulatorOptions, EmulatorServer

KEY_ID = "itest-key-id"
KEY = "itest-application-key"
KIB = 1024
MIB = 1024 * 1024


@dataclass
class Exchange:
    """One request as the client sent it, and what came back."""

    call: str
    url: str
    token: str
    thread: int
    sent_s: float
    headers: httpx.Headers
    status: int = 0
    code: str = ""
    retry_after: str | None = None
    answered_s: float = 0.0


@dataclass
class WireLog:
    """Thread-safe record of every exchange on one HTTP client."""

    exchanges: list[Exchange] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def on_request(self, request: httpx.Request) -> None:
        segments = [p for p in request.url.path.split("/") if p.startswith("b2_")]
        call = segments[0].removeprefix("b2_") if segments else request.url.path
        if request.headers.get("x-bz-content-sha1"):  # whatever the upload URL looks like
            call = "upload_part" if request.headers.get("x-bz-part-number") else "upload_file"
        ex = Exchange(
            call=call,
            url=str(request.url),
            token=request.headers.get("authorization", ""),
            thread=threading.get_ident(),
            sent_s=time.time(),
            headers=request.headers,
        )
        request.extensions["wire_log_exchange"] = ex
        with self.lock:
            self.exchanges.append(ex)

    def on_response(self, response: httpx.Response) -> None:
        ex = response.request.extensions.get("wire_log_exchange")
        if isinstance(ex, Exchange):
            ex.status = response.status_code
            ex.retry_after = response.headers.get("retry-after")
            ex.answered_s = time.time()

    def of(self, *calls: str) -> list[Exchange]:
        with self.lock:
            return [e for e in self.exchanges if e.call in calls]


@dataclass
class Rig:
    """An emulator, a client on it, and the wire log of that client."""

    server: EmulatorServer
    client: B2Client
    wire: WireLog
    bucket: Bucket
    config: B2Config

    def calls(self, name: str) -> int:
        return int(self.server.stats()["calls"].get(f"b2_{name}", 0))


def fast_config(base_url: str, **overrides: object) -> B2Config:
    """Client config for tests: small backoff so faults cost milliseconds."""
    config = B2Config(
        realm=base_url,
        key_id=KEY_ID,
        application_key=KEY,
        key_source="env:TEST",
        backoff_base_s=0.02,
        backoff_cap_s=0.2,
        max_attempts=10,
        connect_timeout_s=5,
        read_timeout_s=10,
        upload_read_timeout_s=30,
    )
    return replace(config, **overrides)  # type: ignore[arg-type]


def connect(server: EmulatorServer, config: B2Config, wire: WireLog, *, seed: int = 0) -> B2Client:
    """A production-built client with the wire log hooked into its HTTP client."""
    http = make_http_client(config)
    http.event_hooks = {"request": [wire.on_request], "response": [wire.on_response]}
    return build_client(
        config, realm_url=server.base_url, http=http, clock=SystemClock(), rng=random.Random(seed)
    )


@pytest.fixture
def rig_factory(tmp_path: Path) -> Iterator[Callable[..., Rig]]:
    """Start an emulator with options and a client on it; everything stops at teardown."""
    opened: list[Rig] = []

    def make(*, emulator: dict[str, object] | None = None, **config: object) -> Rig:
        settings: dict[str, object] = {
            "recommended_part_size": 256 * KIB,
            "absolute_minimum_part_size": 64 * KIB,
            **(emulator or {}),
        }
        options = EmulatorOptions(key_id=KEY_ID, key=KEY, buckets=("bucket-a",), **settings)  # type: ignore[arg-type]
        server = EmulatorServer(options)
        server.start()
        cfg = fast_config(server.base_url, **config)
        wire = WireLog()
        client = connect(server, cfg, wire)
        bucket = client.check_access("bucket-a", "", need=frozenset({"listFiles", "writeFiles"}))
        rig = Rig(server=server, client=client, wire=wire, bucket=bucket, config=cfg)
        opened.append(rig)
        return rig

    yield make
    for rig in opened:
        rig.client.close()
        rig.server.stop()


def local_file(directory: Path, name: str, data: bytes) -> tuple[Path, LocalState]:
    """Write ``data`` and return the path with its LocalState."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return path, state_of(path, name)


def state_of(path: Path, name: str) -> LocalState:
    """LocalState of ``path`` from lstat."""
    st = os.lstat(path)
    return LocalState(
        rel_path=RelPath(name),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        dev=st.st_dev,
        inode=st.st_ino,
    )


def sparse_file(path: Path, size: int, *, seed: int = 1) -> LocalState:
    """A sparse file of ``size`` bytes with random 64 KiB islands every 8 MiB."""
    rng = random.Random(seed)
    with open(path, "wb") as f:
        f.truncate(size)
        for offset in range(0, size, 8 * MIB):
            f.seek(offset)
            f.write(rng.randbytes(min(64 * KIB, size - offset)))
    return state_of(path, path.name)


def versions_by_name(rig: Rig, prefix: str = "") -> dict[str, list[str]]:
    """name -> actions of every version under ``prefix``, newest first."""
    out: dict[str, list[str]] = {}
    for v in rig.client.iter_versions(rig.bucket, prefix):
        out.setdefault(v.file_name, []).append(v.action)
    return out
