"""In-place restores, undelete and the undo window, followed by a sync that sends nothing."""

from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from syncd.journal.lock import InstanceLock
from tests.integration.restore.conftest import set_mtime, syncd
from tests.support.bucket_view import BucketView, assert_converged, duplicates
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.integration

V1_MS = 1_600_000_000_123
V2_MS = 1_650_000_000_456


def uploads(emulator: EmulatorServer) -> int:
    """How many uploads (simple and large) the emulator has seen."""
    calls = emulator.stats()["calls"]
    return int(calls.get("b2_upload_file", 0) + calls.get("b2_start_large_file", 0))


def two_versions(setup: Setup) -> Path:
    """doc.txt synced as v1 then v2; returns its path."""
    doc = setup.root / "doc.txt"
    doc.write_bytes(b"version one\n")
    set_mtime(doc, V1_MS)
    assert sync_now(setup)[0] == 0
    time.sleep(0.02)
    doc.write_bytes(b"version two, longer\n")
    set_mtime(doc, V2_MS)
    assert sync_now(setup)[0] == 0
    return doc


def v1_id(view: BucketView, setup: Setup) -> str:
    """The file id of doc.txt's first version."""
    versions = [v for v in view.versions(setup.bucket, setup.prefix) if v.action == "upload"]
    return min(versions, key=lambda v: v.upload_ms).file_id


def test_in_place_refuses_unsynced_changes_without_force(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """A local edit B2 does not hold blocks --in-place (exit 1) until --force."""
    doc = two_versions(setup)
    doc.write_bytes(b"local edit, never synced\n")
    old = v1_id(view, setup)
    refused = syncd(setup, "restore", "folder/doc.txt", "--at", old, "--in-place")
    assert refused.code == 1, refused.err
    assert [c["path"] for c in refused.doc["conflicts"]] == ["folder/doc.txt"]
    assert doc.read_bytes() == b"local edit, never synced\n"
    forced = syncd(setup, "restore", "folder/doc.txt", "--at", old, "--in-place", "--force")
    assert forced.code == 0, forced.err
    assert doc.read_bytes() == b"version one\n"
    assert doc.stat().st_mtime_ns == V1_MS * 1_000_000
    before = uploads(emulator)
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert (summary["uploaded_files"], uploads(emulator)) == (0, before)
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_in_place_over_synced_file_needs_no_force(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """A local file B2 already holds is replaced without --force; B2's newest follows."""
    doc = two_versions(setup)
    res = syncd(setup, "restore", "folder/doc.txt", "--at", v1_id(view, setup), "--in-place")
    assert res.code == 0, res.err
    assert doc.read_bytes() == b"version one\n"
    latest = view.latest(setup.bucket, setup.prefix)["host1/doc.txt"]
    assert (latest.mtime_ms, latest.size) == (V1_MS, len(b"version one\n"))
    before = uploads(emulator)
    assert sync_now(setup)[1]["uploaded_files"] == 0
    assert uploads(emulator) == before
    kept = syncd(setup, "history", str(doc)).doc["events"]
    assert (kept[0]["action"], kept[0]["file_id"]) == ("restore", latest.file_id)
    count = len(view.versions(setup.bucket, setup.prefix))
    again = syncd(setup, "restore", "folder/doc.txt", "--at", v1_id(view, setup), "--in-place")
    assert [i["path"] for i in again.doc["unchanged"]] == ["doc.txt"]
    assert len(view.versions(setup.bucket, setup.prefix)) == count  # no second copy


def test_undelete_brings_back_without_upload(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """undelete restores the pre-hide version in place; B2 shows it again; sync sends 0."""
    doc = two_versions(setup)
    doc.unlink()
    assert sync_now(setup)[1]["hidden_files"] == 1
    assert "host1/doc.txt" not in view.latest(setup.bucket, setup.prefix)
    res = syncd(setup, "undelete", "folder")
    assert res.code == 0, res.err
    assert [i["path"] for i in res.doc["restored"]] == ["doc.txt"]
    assert doc.read_bytes() == b"version two, longer\n"
    assert doc.stat().st_mtime_ns == V2_MS * 1_000_000
    assert view.latest(setup.bucket, setup.prefix)["host1/doc.txt"].mtime_ms == V2_MS
    before = uploads(emulator)
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert (summary["uploaded_files"], summary["copied_files"]) == (0, 0)
    assert uploads(emulator) == before
    assert_converged(view, setup.bucket, setup.prefix, setup.root)
    assert duplicates(view.versions(setup.bucket, setup.prefix)) == []


def since(mark: float) -> str:
    """A window that starts at most 1 s before ``mark`` (whole seconds)."""
    return f"{math.ceil(time.time() - mark)}s"


def test_since_undoes_the_window(setup: Setup, view: BucketView) -> None:
    """--since puts changed and deleted files back as they were; new files stay."""
    (setup.root / "a.txt").write_bytes(b"a before\n")
    (setup.root / "b.txt").write_bytes(b"b before\n")
    (setup.root / "same.txt").write_bytes(b"untouched\n")
    assert sync_now(setup)[0] == 0
    time.sleep(1.5)
    mark = time.time()
    time.sleep(1.5)
    (setup.root / "a.txt").write_bytes(b"a encrypted by ransomware\n")
    (setup.root / "b.txt").unlink()
    (setup.root / "new.txt").write_bytes(b"created in the window\n")
    assert sync_now(setup)[0] == 0
    plan = syncd(setup, "restore", "--since", since(mark), "folder", "--dry-run")
    assert plan.code == 0, plan.err
    assert sorted(i["path"] for i in plan.doc["restored"]) == ["a.txt", "b.txt"]
    assert (setup.root / "a.txt").read_bytes() == b"a encrypted by ransomware\n"
    res = syncd(setup, "restore", "--since", since(mark), "folder")
    assert res.code == 0, res.err
    assert (setup.root / "a.txt").read_bytes() == b"a before\n"
    assert (setup.root / "b.txt").read_bytes() == b"b before\n"
    assert (setup.root / "new.txt").exists()
    assert [k["path"] for k in res.doc["kept"]] == ["folder/new.txt"]
    assert sync_now(setup)[1]["uploaded_files"] == 0
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_in_place_waits_for_the_daemon(setup: Setup) -> None:
    """While another syncd holds the journal, an in-place restore exits 75 and writes nothing."""
    doc = setup.root / "doc.txt"
    doc.write_bytes(b"one\n")
    assert sync_now(setup)[0] == 0
    doc.unlink()
    assert sync_now(setup)[0] == 0
    with InstanceLock(setup.state / "syncd.lock"):
        res = syncd(setup, "undelete", "folder")
    assert res.code == 75, res.err
    assert "another syncd" in res.err
    assert not doc.exists()
    dry = syncd(setup, "undelete", "folder", "--dry-run")
    assert [i["path"] for i in dry.doc["restored"]] == ["doc.txt"]
