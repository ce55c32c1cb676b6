"""`syncd run` with real watchdog on real folders, the emulator over HTTP."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView, assert_converged, local_tree
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until

pytestmark = pytest.mark.integration


def converged(view: BucketView, setup: Setup) -> bool:
    """True when the bucket mirrors the folder (O1, O2)."""
    local = local_tree(setup.root)
    remote = view.latest(setup.bucket, setup.prefix)
    return {k[len(setup.prefix) :]: (v.sha1, v.mtime_ms) for k, v in remote.items()} == local


def test_live_changes_converge(setup: Setup, view: BucketView, daemon: DaemonProcess) -> None:
    """Create, modify, delete, rename, touch and mkdir -p while the daemon runs."""
    root = setup.root
    (root / "x" / "y" / "z").mkdir(parents=True)
    for i in range(20):
        (root / "x" / "y" / "z" / f"f{i}.txt").write_text(f"file {i}\n")
    (root / "keep.txt").write_text("keep\n")
    assert wait_until(lambda: converged(view, setup), 60), daemon.log()
    (root / "keep.txt").write_text("keep, modified\n")
    (root / "x" / "y" / "z" / "f0.txt").unlink()
    (root / "x" / "y" / "z" / "f1.txt").rename(root / "renamed.txt")
    os.utime(root / "x" / "y" / "z" / "f2.txt", ns=(1_650_000_000_000_000_000,) * 2)
    (root / "new" / "deep" / "er").mkdir(parents=True)
    (root / "new" / "deep" / "er" / "n.txt").write_text("new\n")
    assert wait_until(lambda: converged(view, setup), 60), daemon.log()
    assert_converged(view, setup.bucket, setup.prefix, root)


def test_sd_notify_contract(setup: Setup, daemon: DaemonProcess) -> None:
    """READY, STATUS and WATCHDOG arrive while running, STOPPING on SIGTERM."""
    assert daemon.notify.seen("STATUS=")
    assert wait_until(lambda: daemon.notify.seen("WATCHDOG=1"), 15)
    assert daemon.terminate() == 0
    assert daemon.notify.seen("STOPPING=1")


def test_restart_with_nothing_changed_uploads_nothing(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Stopping and starting the daemon over an unchanged tree makes zero uploads."""
    for i in range(30):
        (setup.root / f"f{i}").write_text(str(i))
    notify, notify2 = NotifySocket(tmp_path / "n1.sock"), NotifySocket(tmp_path / "n2.sock")
    try:
        first = DaemonProcess(setup, notify, tmp_path / "d1.log")
        first.wait_ready()
        assert wait_until(lambda: converged(view, setup), 60), first.log()
        assert first.terminate() == 0
        uploads = emulator.stats()["calls"].get("b2_upload_file", 0)
        second = DaemonProcess(setup, notify2, tmp_path / "d2.log")
        second.wait_ready()
        assert wait_until(lambda: "rescan_finished" in second.log(), 30), second.log()
        assert second.terminate() == 0
        assert emulator.stats()["calls"].get("b2_upload_file", 0) == uploads
    finally:
        notify.close()
        notify2.close()


def test_fifo_does_not_block(setup: Setup, view: BucketView, daemon: DaemonProcess) -> None:
    """A FIFO in the folder is skipped; files created after it still upload."""
    os.mkfifo(setup.root / "pipe")
    for i in range(5):
        (setup.root / f"after{i}").write_text("x")
    assert wait_until(lambda: converged(view, setup), 60), daemon.log()


@pytest.mark.parametrize("how", ["emptied", "replaced", "unreachable"])
def test_root_lost_makes_zero_hides(
    setup: Setup, view: BucketView, emulator: EmulatorServer, daemon: DaemonProcess, how: str
) -> None:
    """An emptied, replaced or vanished root never turns into hides."""
    for i in range(10):
        (setup.root / f"f{i}").write_text(str(i))
    assert wait_until(lambda: converged(view, setup), 60), daemon.log()
    if how == "emptied":
        for child in setup.root.iterdir():
            child.unlink()
    elif how == "replaced":
        shutil.rmtree(setup.root)
        setup.root.mkdir()
        (setup.root / "other").write_text("another disk")
    else:
        setup.root.rename(setup.root.with_name("moved-away"))
    assert wait_until(lambda: "safety_stop" in daemon.log() or "root_lost" in daemon.log(), 30)
    assert emulator.stats()["calls"].get("b2_hide_file", 0) == 0
    assert len(view.latest(setup.bucket, setup.prefix)) == 10


def test_rewrite_during_upload_ends_with_final_content(
    setup: Setup, view: BucketView, emulator: EmulatorServer, daemon: DaemonProcess
) -> None:
    """A file rewritten while it uploads ends on B2 with its final bytes."""
    emulator.set_faults_spec(["b2_upload_part:latency_ms=200"])
    big = setup.root / "big.bin"
    big.write_bytes(os.urandom(2 * 1024 * 1024))
    assert wait_until(lambda: emulator.stats()["calls"].get("b2_upload_part", 0) > 0, 30)
    big.write_bytes(os.urandom(2 * 1024 * 1024 + 5))
    emulator.set_faults_spec([])
    assert wait_until(lambda: converged(view, setup), 60), daemon.log()
    assert_converged(view, setup.bucket, setup.prefix, setup.root)
