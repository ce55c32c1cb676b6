"""ls and restore against the emulator over HTTP, as users run them."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.integration.restore.conftest import raw_upload, set_mtime, syncd, tree
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.integration

V1_MS = 1_600_000_000_123
V2_MS = 1_650_000_000_456


def iso(ms: int) -> str:
    """An ISO 8601 UTC time with milliseconds."""
    return datetime.fromtimestamp(ms / 1000, tz=UTC).isoformat(timespec="milliseconds")


def three_versions(setup: Setup, view: BucketView) -> list[int]:
    """doc.txt v1, then v2, then deleted, each by sync-now; return the upload times."""
    doc = setup.root / "doc.txt"
    doc.write_bytes(b"version one\n")
    set_mtime(doc, V1_MS)
    (setup.root / "keep.txt").write_bytes(b"kept\n")
    assert sync_now(setup)[0] == 0
    time.sleep(0.02)
    doc.write_bytes(b"version two, longer\n")
    set_mtime(doc, V2_MS)
    assert sync_now(setup)[0] == 0
    time.sleep(0.02)
    doc.unlink()
    assert sync_now(setup)[0] == 0
    versions = [v for v in view.versions(setup.bucket, setup.prefix) if v.name.endswith("doc.txt")]
    return sorted(v.upload_ms for v in versions)


def test_ls_versions_and_deleted(setup: Setup, view: BucketView) -> None:
    """v1, v2 and a delete show as three entries; --deleted and --at see the history."""
    uploads = three_versions(setup, view)
    res = syncd(setup, "ls", "folder", "--versions")
    assert res.code == 0, res.err
    doc_rows = [r for r in res.doc["files"] if r["name"] == "doc.txt"]
    assert [r["action"] for r in doc_rows] == ["hide", "upload", "upload"]
    assert [r["mtime_ms"] for r in doc_rows[1:]] == [V2_MS, V1_MS]
    now = syncd(setup, "ls", "folder")
    assert [r["name"] for r in now.doc["files"]] == ["keep.txt"]
    deleted = syncd(setup, "ls", "folder", "--deleted")
    assert [(r["name"], r["mtime_ms"]) for r in deleted.doc["files"]] == [("doc.txt", V2_MS)]
    between = syncd(setup, "ls", "folder", "--at", iso((uploads[0] + uploads[1]) // 2))
    rows = {r["name"]: r for r in between.doc["files"]}
    assert rows["doc.txt"]["size"] == len(b"version one\n")


def test_restore_at_gives_old_bytes_and_mtime(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """restore --at between v1 and v2 writes v1's bytes with v1's mtime, exactly."""
    uploads = three_versions(setup, view)
    target = tmp_path / "out"
    at = iso((uploads[0] + uploads[1]) // 2)
    res = syncd(setup, "restore", "folder", "--at", at, "--to", str(target))
    assert res.code == 0, res.err + res.out
    got = tree(target)
    assert got["folder/doc.txt"] == (b"version one\n", V1_MS * 1_000_000)
    assert got["folder/keep.txt"][0] == b"kept\n"
    assert sorted(os.listdir(target / "folder")) == ["doc.txt", "keep.txt"]  # no staging left


def test_restore_by_file_id_and_default_target(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """--at FILE_ID restores that version; without --to a new syncd-restore-* dir is made."""
    three_versions(setup, view)
    v2 = next(
        v
        for v in view.versions(setup.bucket, setup.prefix)
        if v.name.endswith("doc.txt") and v.action == "upload"
    )
    work = tmp_path / "cwd"
    work.mkdir()
    res = syncd(setup, "restore", "folder/doc.txt", "--at", v2.file_id, cwd=work)
    assert res.code == 0, res.err
    (made,) = work.iterdir()
    assert made.name.startswith("syncd-restore-")
    assert tree(made) == {"folder/doc.txt": (b"version two, longer\n", V2_MS * 1_000_000)}


def test_dry_run_writes_nothing(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """--dry-run lists the plan and creates no directory."""
    three_versions(setup, view)
    target = tmp_path / "out"
    res = syncd(setup, "restore", "folder", "--to", str(target), "--dry-run")
    assert res.code == 0, res.err
    assert [i["path"] for i in res.doc["restored"]] == ["keep.txt"]
    assert not target.exists()


def test_large_file_round_trip(
    setup: Setup, view: BucketView, tmp_path: Path, emulator: EmulatorServer
) -> None:
    """A multi-part upload comes back byte- and mtime-exact (large_file_sha1 verified)."""
    data = os.urandom(700_000)
    big = setup.root / "big.bin"
    big.write_bytes(data)
    set_mtime(big, V1_MS)
    assert sync_now(setup)[0] == 0
    assert emulator.stats()["calls"].get("b2_finish_large_file", 0) == 1
    (stored,) = view.versions(setup.bucket, setup.prefix)
    assert stored.sha1 is not None
    target = tmp_path / "out"
    res = syncd(setup, "restore", "folder/big.bin", "--to", str(target))
    assert res.code == 0, res.err
    assert tree(target) == {"folder/big.bin": (data, V1_MS * 1_000_000)}


def test_unknown_folder_is_a_usage_error(setup: Setup) -> None:
    """A PATH naming no folder of the config exits 2."""
    res = syncd(setup, "restore", "nosuch/x", "--dry-run")
    assert res.code == 2
    assert "not a folder name" in res.err
    bad_time = syncd(setup, "restore", "folder", "--at", "the day before")
    assert bad_time.code == 2


def test_nothing_there_exits_1(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """A PATH with nothing on B2 at TIME is reported as failed, not silently restored."""
    three_versions(setup, view)
    res = syncd(setup, "restore", "folder/missing.txt", "--to", str(tmp_path / "out"))
    assert res.code == 1
    assert [f["path"] for f in res.doc["failed"]] == ["folder/missing.txt"]


def test_pre_1970_mtime_restores_exactly(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """A file whose mtime is before 1970 comes back with exactly that mtime."""
    raw_upload(view, "host1/old.txt", b"pre-1970\n", mtime_ms=-1500)
    res = syncd(setup, "restore", "folder", "--to", str(tmp_path / "out"))
    assert res.code == 0, res.err
    assert tree(tmp_path / "out") == {"folder/old.txt": (b"pre-1970\n", -1_500_000_000)}
