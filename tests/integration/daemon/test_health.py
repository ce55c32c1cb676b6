"""The systemd watchdog contract while a worker is busy: `syncd run` against the
emulator over HTTP, with a fake NOTIFY_SOCKET that records the pings."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.harness import DaemonProcess, NotifySocket, Setup, write_config

pytestmark = pytest.mark.integration

HANG_AFTER_S = 2.0  # the health window, shortened; the harness's watchdog ticks each second
LATENCY_S = 8.0  # every upload takes this long: far past the window


def test_daemon_keeps_pinging_through_an_upload_longer_than_the_health_window(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """An upload longer than the health window keeps WATCHDOG=1 coming and lands once."""
    write_config(setup, sync=f"hang_after_s = {HANG_AFTER_S}")
    emulator.set_faults_spec([f"b2_upload_file:latency_ms={int(LATENCY_S * 1000)}"])
    notify = NotifySocket(tmp_path / "notify.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()
        (setup.root / "slow.bin").write_bytes(os.urandom(100_000))
        pings: list[float] = []
        started = time.monotonic()
        seen = len(notify.poll())
        while time.monotonic() - started < 60:
            messages = notify.poll()
            pings += [time.monotonic() for m in messages[seen:] if "WATCHDOG=1" in m]
            seen = len(messages)
            if "host1/slow.bin" in view.latest(setup.bucket, setup.prefix):
                break
            time.sleep(0.1)
        took_s = time.monotonic() - started
        log = daemon.log()
    finally:
        emulator.set_faults_spec([])
        code = daemon.terminate()
        notify.close()
    assert code == 0, log
    assert took_s > LATENCY_S > 3 * HANG_AFTER_S, log
    assert "daemon_unhealthy" not in log
    assert "worker_hung" not in log
    gaps = [b - a for a, b in zip([started, *pings], pings, strict=False)]
    assert len(pings) >= LATENCY_S - 2, (pings, log)
    assert max(gaps) < 2 * HANG_AFTER_S, (gaps, log)
    names = [v.name for v in view.versions(setup.bucket, setup.prefix)]
    assert names == ["host1/slow.bin"]
    assert emulator.stats()["calls"].get("b2_upload_file") == 1
