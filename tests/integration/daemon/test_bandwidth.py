"""``[b2] max_upload_bytes_per_s`` over HTTP to the emulator: the limit holds; status shows it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.harness import DaemonProcess, NotifySocket, Setup, sync_now, write_config

pytestmark = pytest.mark.integration
RATE = 200_000


def test_uploads_keep_to_the_limit_across_workers(setup: Setup, tmp_path: Path) -> None:
    """1 MB in 10 files over 3 workers at 200 kB/s takes at least 4 s (1 s burst + 4 s)."""
    write_config(setup, b2=f"max_upload_bytes_per_s = {RATE}")
    for i in range(10):
        (setup.root / f"f{i}").write_bytes(bytes([i]) * 100_000)
    started = time.monotonic()
    code, summary, err = sync_now(setup)
    elapsed = time.monotonic() - started
    assert code == 0, err
    assert summary["uploaded_bytes"] == 1_000_000
    assert elapsed >= 4.0  # unlimited, the same run takes about 1.5 s here


def test_status_shows_the_limit_of_the_running_daemon(setup: Setup, tmp_path: Path) -> None:
    """The live-state file carries the limit and the B2 calls by class into status."""
    write_config(setup, b2=f"max_upload_bytes_per_s = {RATE}")
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "d.log")
    try:
        daemon.wait_ready()
        out = subprocess.run(
            [sys.executable, "-m", "syncd", "status", "--config", str(setup.config), "--json"],
            capture_output=True,
            text=True,
            env=setup.env(),
            timeout=30,
            check=True,
        ).stdout
        d = json.loads(out)["daemon"]
        assert d["max_upload_bytes_per_s"] == RATE
        assert d["b2_calls_by_class"]["C"] >= 1  # authorize_account, list_buckets
    finally:
        assert daemon.terminate() == 0
        notify.close()
