"""`syncd sync-now` against the emulator over HTTP, on real folders."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView, assert_converged
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration


def make_tree(root: Path) -> None:
    """A small tree: files at several depths, an empty file, a 1 MiB file."""
    (root / "a" / "b" / "c").mkdir(parents=True)
    (root / "top.txt").write_text("top\n")
    (root / "empty").write_bytes(b"")
    (root / "a" / "one.txt").write_text("one\n")
    (root / "a" / "b" / "c" / "deep.bin").write_bytes(os.urandom(1 << 20))
    os.utime(root / "top.txt", ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))


def test_first_sync_uploads_everything(setup: Setup, view: BucketView) -> None:
    """A first sync-now puts every file on B2 with the right sha1 and mtime and exits 0."""
    make_tree(setup.root)
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 4
    assert_converged(view, setup.bucket, setup.prefix, setup.root)
    assert view.latest(setup.bucket, setup.prefix)["host1/top.txt"].mtime_ms == 1_600_000_000_123


def test_second_sync_uploads_nothing(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """Re-running with nothing changed makes zero uploads."""
    make_tree(setup.root)
    assert sync_now(setup)[0] == 0
    before = emulator.stats()
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 0
    after = emulator.stats()
    assert after["calls"].get("b2_upload_file", 0) == before["calls"].get("b2_upload_file", 0)


def test_changes_between_runs(setup: Setup, view: BucketView) -> None:
    """Modify, delete, rename and touch between runs: the bucket follows the folder."""
    make_tree(setup.root)
    code, summary, err = sync_now(setup)
    assert (code, summary["uploaded_files"]) == (0, 4), err
    (setup.root / "a" / "one.txt").write_text("one, changed\n")
    (setup.root / "top.txt").unlink()
    (setup.root / "a" / "b" / "c" / "deep.bin").rename(setup.root / "moved.bin")
    os.utime(setup.root / "empty", ns=(1_700_000_000_000_000_000, 1_700_000_000_000_000_000))
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1  # only one.txt carries new bytes
    assert summary["copied_files"] == 2  # the rename and the touch
    assert summary["hidden_files"] == 2  # top.txt and the rename's old name
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_unsyncable_items_are_reported_once(setup: Setup, view: BucketView) -> None:
    """A FIFO, a bad name and an unreadable file are reported; the rest still syncs."""
    (setup.root / "good.txt").write_text("good\n")
    os.mkfifo(setup.root / "pipe")
    (setup.root / "ctl\x01name").write_text("control char\n")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    reasons = {item["path"]: item["reason"] for item in summary["skipped"]}
    assert "pipe" in reasons
    assert "ctl\x01name" in reasons
    assert list(view.latest(setup.bucket, setup.prefix)) == ["host1/good.txt"]


def test_large_file_goes_in_parts(setup: Setup, view: BucketView) -> None:
    """A file above the large-file threshold is uploaded in parts with large_file_sha1."""
    (setup.root / "big.bin").write_bytes(os.urandom(3 * 1024 * 1024 + 17))
    code, _summary, err = sync_now(setup)
    assert code == 0, err
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_missing_key_capability_exits_77(setup: Setup, emulator: EmulatorServer) -> None:
    """A wrong key is refused with exit 77 and one line, not a traceback."""
    setup.key = "wrong-key"
    code, _summary, err = sync_now(setup)
    assert code == 77
    assert "Traceback" not in err


def test_remote_down_exits_75(setup: Setup, tmp_path: Path) -> None:
    """With nothing listening at the realm, sync-now exits 75."""
    setup.url = "http://127.0.0.1:9"
    write_config(setup, b2="max_attempts = 2\nconnect_timeout_s = 1.0")
    (setup.root / "f").write_text("x")
    code, _summary, err = sync_now(setup)
    assert code == 75, err
    assert "Traceback" not in err


def test_lost_journal_adopts_the_bucket(setup: Setup, view: BucketView) -> None:
    """With the journal gone, files B2 already holds (same size and mtime) are adopted."""
    make_tree(setup.root)
    assert sync_now(setup)[0] == 0
    for path in setup.state.iterdir():
        if path.name.startswith("journal"):
            path.unlink()
    (setup.root / "new.txt").write_text("new\n")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["adopted_files"] == 4
    assert summary["uploaded_files"] == 1
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_mass_delete_pauses_until_approved(setup: Setup, view: BucketView) -> None:
    """Deleting most of a folder pauses the hides (exit 1) until `syncd approve`."""
    for i in range(10):
        (setup.root / f"f{i}").write_text(str(i))
    assert sync_now(setup)[0] == 0
    for i in range(7):
        (setup.root / f"f{i}").unlink()
    code, summary, _err = sync_now(setup)
    assert code == 1
    assert summary["hidden_files"] == 0
    assert "would be hidden" in summary["paused"][0]
    assert len(view.latest(setup.bucket, setup.prefix)) == 10
    approve = subprocess.run(
        [sys.executable, "-m", "syncd", "approve", "--config", str(setup.config)],
        capture_output=True,
        text=True,
        env=setup.env(),
        check=False,
    )
    assert approve.returncode == 0, approve.stderr
    assert "7 pending deletes approved" in approve.stdout
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["hidden_files"] == 7
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_status_lists_skipped_items(setup: Setup) -> None:
    """`syncd status --json` shows files on B2 and each skipped item with its reason."""
    (setup.root / "good.txt").write_text("good\n")
    os.mkfifo(setup.root / "pipe")
    assert sync_now(setup)[0] == 0
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "--config", str(setup.config), "--json"],
        capture_output=True,
        text=True,
        env=setup.env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    (folder,) = json.loads(proc.stdout)["folders"]
    assert folder["files_on_b2"] == 1
    assert folder["pending"] == 0
    assert [item["path"] for item in folder["skipped"]] == ["pipe"]
