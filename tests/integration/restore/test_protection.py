"""Encryption (SSE-C) and Object Lock end to end: sync-now, ls and restore over HTTP."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import EmulatorServer
from tests.integration.restore.conftest import set_mtime, syncd, tree
from tests.support.bucket_view import BucketView
from tests.support.folder import BUCKET
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration

V1_MS = 1_600_000_000_123
V2_MS = 1_650_000_000_456
DAY_MS = 86_400_000
PARTS = "large_file_threshold_bytes = 300000\npart_size_bytes = 131072\n"


def raw_versions(view: BucketView) -> list[dict[str, Any]]:
    """Every version of the bucket as B2 reports it (raw JSON)."""
    body = {"bucketId": view.bucket_id(BUCKET), "maxFileCount": 1000}
    files: list[dict[str, Any]] = view.call("b2_list_file_versions", body)["files"]
    return files


def key_file(tmp_path: Path, key: bytes) -> Path:
    """A 0600 file holding ``key``."""
    path = tmp_path / "sse-c.key"
    path.write_bytes(key)
    path.chmod(0o600)
    return path


def secrets_of(key: bytes) -> list[str]:
    """The forms of a key that must never be printed: base64 and base64 MD5."""
    md5 = hashlib.md5(key, usedforsecurity=False).digest()
    return [base64.b64encode(key).decode(), base64.b64encode(md5).decode(), key.hex()]


def test_sse_c_folder_lists_restores_and_refuses_without_key(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """SSE-C uploads, parts and copies carry the key; restore needs it and says so without."""
    key = os.urandom(32)
    path = key_file(tmp_path, key)
    write_config(setup, b2=PARTS + f'encryption = "SSE-C"\nsse_c_key_file = "{path}"')
    small, big = setup.root / "small.txt", setup.root / "big.bin"
    small.write_bytes(b"small secret\n")
    data = os.urandom(700_000)
    big.write_bytes(data)
    for p in (small, big):
        set_mtime(p, V1_MS)
    code, _, err = sync_now(setup)
    assert code == 0, err
    set_mtime(small, V2_MS)  # an mtime-only change: a server-side copy, both keys sent
    code, _, err2 = sync_now(setup)
    assert code == 0, err2
    calls = emulator.stats()["calls"]
    assert calls["b2_copy_file"] == 1
    assert calls["b2_upload_part"] >= 2
    stored = raw_versions(view)
    assert {v["serverSideEncryption"]["mode"] for v in stored} == {"SSE-C"}
    key_ids = {v["fileInfo"]["sse_c_key_id"] for v in stored}
    assert len(key_ids) == 1
    listed = syncd(setup, "ls", "folder", "--versions")
    assert listed.code == 0, listed.err
    assert {r["encryption"] for r in listed.doc["files"]} == {"SSE-C"}
    assert {r["sse_c_key_id"] for r in listed.doc["files"]} == key_ids
    target = tmp_path / "out"
    restored = syncd(setup, "restore", "folder", "--to", str(target))
    assert restored.code == 0, restored.err + restored.out
    got = tree(target)
    assert got["folder/small.txt"] == (b"small secret\n", V2_MS * 1_000_000)
    assert got["folder/big.bin"] == (data, V1_MS * 1_000_000)
    write_config(setup, b2=PARTS)  # the key is no longer configured
    refused_to = tmp_path / "refused"
    refused = syncd(setup, "restore", "folder", "--to", str(refused_to))
    assert refused.code != 0
    failed = {n["path"]: n["reason"] for n in refused.doc.get("failed", [])}
    assert set(failed) == {"folder/big.bin", "folder/small.txt"}, refused.out
    assert all("not configured" in reason for reason in failed.values())
    assert tree(refused_to) == {}
    for text in (err, err2, listed.out, listed.err, restored.err, refused.out, refused.err):
        assert not any(s in text for s in secrets_of(key))


def test_compliance_version_survives_delete_all_versions(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """Each upload is locked; delete-all-versions (master key) is refused and reported."""
    view.call(
        "b2_update_bucket",
        {"accountId": view.account_id, "bucketId": view.bucket_id(BUCKET), "fileLockEnabled": True},
    )
    lock = '[retention.lock]\nmode = "compliance"\ndays = 3\n'
    write_config(setup, sync=f'delete = "delete-all-versions"\n{lock}')
    doc = setup.root / "doc.txt"
    doc.write_bytes(b"keep me\n")
    before = int(time.time() * 1000)
    code, _, err = sync_now(setup)
    assert code == 0, err
    (stored,) = raw_versions(view)
    retention = stored["fileRetention"]["value"]
    assert retention["mode"] == "compliance"
    assert before + 3 * DAY_MS <= retention["retainUntilTimestamp"] <= before + 3 * DAY_MS + 60_000
    listed = syncd(setup, "ls", "folder", "--versions")
    assert listed.doc["files"][0]["retention_mode"] == "compliance"
    doc.unlink()
    code, summary, err = sync_now(setup)
    assert code == 0, err  # a kept version is reported, not a failure
    (skipped,) = summary["skipped"]
    assert skipped["path"] == "doc.txt"
    assert "kept under Object Lock, name hidden" in skipped["reason"]
    assert "(compliance retention until" in skipped["reason"]
    assert "delete_refused_locked" in err
    after = raw_versions(view)  # the locked version stays; a hide marker says it is gone
    assert [(v["action"], v["fileId"]) for v in after][1] == ("upload", stored["fileId"])
    assert [v["action"] for v in after] == ["hide", "upload"]
    assert emulator.stats()["calls"]["b2_delete_file_version"] >= 1


def test_lock_without_object_lock_bucket_is_a_config_error(setup: Setup) -> None:
    """[retention.lock] on a bucket without Object Lock: one readable line, exit 78."""
    write_config(setup, sync='[retention.lock]\nmode = "governance"\ndays = 1\n')
    (setup.root / "a.txt").write_bytes(b"a\n")
    code, _, err = sync_now(setup)
    assert code == 78
    lines = [line for line in err.splitlines() if "retention.lock" in line]
    assert len(lines) == 1, err
    assert "Object Lock" in lines[0]
    assert "Traceback" not in err


def test_folder_sse_b2_overrides_b2_none(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """A folder's encryption = "SSE-B2" wins over [b2]'s "none"; ls and restore print it."""
    write_config(setup, b2='encryption = "none"', folder='encryption = "SSE-B2"')
    (setup.root / "a.txt").write_bytes(b"a\n")
    code, _, err = sync_now(setup)
    assert code == 0, err
    assert [v["serverSideEncryption"]["mode"] for v in raw_versions(view)] == ["SSE-B2"]
    listed = plain(setup, "ls", "--versions")
    (line,) = [line for line in listed.splitlines() if "a.txt" in line]
    assert line.endswith("[SSE-B2]")
    planned = plain(setup, "restore", "folder", "--to", str(tmp_path / "out"), "--dry-run")
    (line,) = [line for line in planned.splitlines() if "a.txt" in line]
    assert line.endswith("[SSE-B2]")


def plain(setup: Setup, command: str, *args: str) -> str:
    """Run ``syncd COMMAND --config CONFIG ARGS`` for its text output (it must exit 0)."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", command, "--config", str(setup.config), *args],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_prune_never_deletes_a_locked_version(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """keep_versions = 1 over three locked versions: prune deletes none and says why."""
    view.call(
        "b2_update_bucket",
        {"accountId": view.account_id, "bucketId": view.bucket_id(BUCKET), "fileLockEnabled": True},
    )
    lock = '[retention.lock]\nmode = "governance"\ndays = 30\n'
    write_config(setup, sync=lock, folder="[folder.retention]\nkeep_versions = 1\n")
    doc = setup.root / "doc.txt"
    for n in range(3):
        doc.write_bytes(b"version %d\n" % n)
        set_mtime(doc, V1_MS + n * 1000)
        code, _, err = sync_now(setup)
        assert code == 0, err
    assert len(raw_versions(view)) == 3
    dry = syncd(setup, "prune", "--dry-run")
    assert dry.code == 0, dry.err
    [folder] = dry.doc["folders"]
    assert folder["planned_deletes"] == 0
    newest, *older = folder["versions"]
    assert "keep_versions" in newest["reasons"]
    assert [r["reasons"] for r in older] == [["locked"], ["locked"]]  # kept by the lock alone
    done = syncd(setup, "prune")
    assert done.code == 0, done.err
    assert len(raw_versions(view)) == 3
    assert emulator.stats()["calls"].get("b2_delete_file_version", 0) == 0
