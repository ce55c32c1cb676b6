"""``[b2] bandwidth_limit`` (and its deprecated alias ``max_upload_bytes_per_s``) over HTTP
to the emulator: uploads and restores keep to it, status shows it, SIGHUP changes it in
place."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.harness import (
    DaemonProcess,
    NotifySocket,
    Setup,
    run_syncd,
    sync_now,
    wait_until,
    write_config,
)

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


@pytest.mark.soak  # about 6 s of limited download; the S3 test checks downloads in 2.5 s
def test_a_restore_keeps_to_the_download_limit(setup: Setup, tmp_path: Path) -> None:
    """1 MB restored at 200 kB/s (downloads only) takes at least 4 s (1 s burst + 4 s)."""
    write_config(setup, b2=f'bandwidth_limit = "off:{RATE}B"')
    (setup.root / "big.bin").write_bytes(bytes(range(256)) * 3907)  # 1,000,192 bytes
    started = time.monotonic()
    code, summary, err = sync_now(setup)
    upload_s = time.monotonic() - started
    assert code == 0, err
    assert summary["uploaded_bytes"] == 1_000_192
    started = time.monotonic()
    result = run_syncd(setup, "restore", "folder/big.bin", "--to", str(tmp_path / "out"))
    restore_s = time.monotonic() - started
    assert result.returncode == 0, result.stderr
    restored = tmp_path / "out" / "folder" / "big.bin"
    assert restored.read_bytes() == (setup.root / "big.bin").read_bytes()
    assert restore_s >= 4.0  # unlimited, a restore of it takes about 1 s here
    assert restore_s > upload_s  # uploads were "off": not held


def daemon_limits(setup: Setup) -> tuple[int | None, int | None, str]:
    """The running daemon's limits in force now and its bandwidth_limit, from status."""
    d = json.loads(run_syncd(setup, "status", "--json").stdout)["daemon"]
    return d["max_upload_bytes_per_s"], d["max_download_bytes_per_s"], d["bandwidth_limit"]


def test_sighup_changes_the_limit_in_place(setup: Setup, tmp_path: Path) -> None:
    """A new bandwidth_limit on SIGHUP is in force within a tick (status, pace), no rebuild."""
    write_config(setup)
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "d.log")
    try:
        daemon.wait_ready()
        assert daemon_limits(setup) == (None, None, "")
        write_config(setup, b2='bandwidth_limit = "300K:100K"')
        daemon.proc.send_signal(signal.SIGHUP)
        assert wait_until(lambda: "bandwidth_limit_set" in daemon.log(), 30), daemon.log()
        assert wait_until(lambda: daemon_limits(setup) == (300 * 1024, 100 * 1024, "300K:100K"), 30)
        assert "config_applied_in_place" in daemon.log()
        assert "config_reloaded" not in daemon.log()  # no rebuild: uploads under way go on
        assert sum("READY=1" in m for m in notify.poll()) == 1  # not started again
        started = time.monotonic()
        (setup.root / "limited.bin").write_bytes(b"x" * 1_000_000)
        sent = '"size_bytes": 1000000'  # upload_finished, or large_file_finished (parts)
        assert wait_until(lambda: sent in daemon.log(), 30), daemon.log()
        assert time.monotonic() - started >= 2.2  # 1 MB at 300 KiB/s: 1 s burst + 2.25 s
    finally:
        assert daemon.terminate() == 0
        notify.close()
