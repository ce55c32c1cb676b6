"""``[b2] bandwidth_limit`` over the S3-compatible API: uploads and downloads are paced."""

from __future__ import annotations

import os
import random
import threading
import time
from pathlib import Path

import pytest

from syncd.b2 import BandwidthLimiter, CallMeter, make_http_client
from syncd.clock import SystemClock
from syncd.config import B2Config
from syncd.config.bandwidth import parse_bandwidth
from syncd.domain import RelPath
from syncd.emulator import EmulatorServer
from syncd.engine.local import stat_file
from syncd.s3 import build_s3_store

pytestmark = pytest.mark.integration
RATE = 100_000


def test_s3_uploads_and_downloads_keep_to_the_limit(
    s3_emulator: EmulatorServer, tmp_path: Path
) -> None:
    """250 kB up then down at 100 kB/s each: each way at least 1.4 s (1 s burst + 1.5 s)."""
    config = B2Config(
        key_id=s3_emulator.key_id,
        application_key=s3_emulator.key,
        key_source="env:TEST",
        api="s3",
        large_file_threshold_bytes=10_000_000,
        bandwidth=parse_bandwidth(f"{RATE}B"),
    )
    clock, stop = SystemClock(), threading.Event()
    limiter = BandwidthLimiter(config.bandwidth, clock, stop)
    http = make_http_client(config, meter=CallMeter(), clock=clock, stop=stop, limiter=limiter)
    store = build_s3_store(
        config, endpoint=s3_emulator.s3_url, http=http, clock=clock, rng=random.Random(1)
    )
    try:
        data = os.urandom(250_000)
        (tmp_path / "f.bin").write_bytes(data)
        state = stat_file(tmp_path, RelPath("f.bin"))
        assert state is not None
        bucket = store.check_access("test-bucket", "", need=frozenset())
        started = time.monotonic()
        result = store.upload_file(bucket, "p/f.bin", tmp_path / "f.bin", state)
        up_s = time.monotonic() - started
        started = time.monotonic()
        store.download(result.version, tmp_path / "back.bin")
        down_s = time.monotonic() - started
    finally:
        store.close()
    assert (tmp_path / "back.bin").read_bytes() == data
    assert up_s >= 1.4
    assert down_s >= 1.4  # a bucket of its own: the upload did not spend its burst
