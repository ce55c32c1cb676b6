"""syncd over S3 against moto (an S3 not ours): sync, rename, hide, restore; boto3 checks."""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.integration.s3.conftest import boto
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration
MTIME_NS = 1_650_000_000_250_000_000


def _setup(tmp_path: Path, url: str, bucket: str) -> Setup:
    root = tmp_path / "folder"
    root.mkdir()
    setup = Setup(
        root=root,
        state=tmp_path / "state",
        config=tmp_path / "syncd.toml",
        url="https://api.backblazeb2.com",
        key_id="moto-key",
        key="moto-secret",
        bucket=bucket,
    )
    write_config(
        setup,
        b2=f'api = "s3"\ns3_endpoint = "{url}"\npart_size_bytes = 300000\n'
        "large_file_threshold_bytes = 600000",
        sync="mass_delete_ratio = 1.0",
    )
    return setup


def _syncd(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    command, *rest = args
    return subprocess.run(
        [sys.executable, "-m", "syncd", command, "--config", str(setup.config), "--json", *rest],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=120,
        check=False,
    )


def _latest(client: object, bucket: str) -> dict[str, dict[str, str]]:
    listed = client.list_object_versions(Bucket=bucket)  # type: ignore[attr-defined]
    out = {}
    for v in listed.get("Versions", []):
        if v["IsLatest"]:
            head = client.head_object(  # type: ignore[attr-defined]
                Bucket=bucket, Key=v["Key"], VersionId=v["VersionId"]
            )
            out[v["Key"]] = head["Metadata"]
    return out


def test_sync_rename_hide_restore_on_moto(tmp_path: Path, moto_url: str, moto_bucket: str) -> None:
    """Over S3 on moto: sync puts mtimes and SHA-1s, rename copies, delete hides, restore works."""
    setup = _setup(tmp_path, moto_url, moto_bucket)
    (setup.root / "d").mkdir()
    (setup.root / "d" / "a.txt").write_bytes(b"alpha")
    (setup.root / "b.bin").write_bytes(os.urandom(700_000))
    os.utime(setup.root / "d" / "a.txt", ns=(MTIME_NS, MTIME_NS))
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 2
    client = boto(moto_url)
    meta = _latest(client, moto_bucket)
    assert set(meta) == {"host1/d/a.txt", "host1/b.bin"}
    assert meta["host1/d/a.txt"]["src_last_modified_millis"] == "1650000000250"
    assert meta["host1/d/a.txt"]["large_file_sha1"] == hashlib.sha1(b"alpha").hexdigest()
    parts = client.head_object(Bucket=moto_bucket, Key="host1/b.bin", PartNumber=1)
    assert parts["PartsCount"] == 3  # the big file went up in parts

    (setup.root / "d" / "a.txt").rename(setup.root / "d" / "renamed.txt")
    (setup.root / "b.bin").rename(tmp_path / "b.bin")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 0
    assert summary["copied_files"] == 1
    assert summary["hidden_files"] >= 1
    listed = client.list_object_versions(Bucket=moto_bucket)
    markers = {m["Key"] for m in listed.get("DeleteMarkers", []) if m["IsLatest"]}
    assert markers == {"host1/b.bin", "host1/d/a.txt"}
    assert (
        client.get_object(Bucket=moto_bucket, Key="host1/d/renamed.txt")["Body"].read() == b"alpha"
    )

    original = hashlib.sha1((tmp_path / "b.bin").read_bytes()).hexdigest()
    undeleted = _syncd(setup, "undelete", "folder/b.bin")
    assert undeleted.returncode == 0, undeleted.stderr
    assert hashlib.sha1((setup.root / "b.bin").read_bytes()).hexdigest() == original
    target = tmp_path / "restored"
    whole = _syncd(setup, "restore", "folder", "--to", str(target))
    assert whole.returncode == 0, whole.stderr
    assert sorted(p.name for p in (target / "folder").rglob("*") if p.is_file()) == [
        "b.bin",
        "renamed.txt",
    ]
    assert (target / "folder" / "d" / "renamed.txt").read_bytes() == b"alpha"
    assert hashlib.sha1((target / "folder" / "b.bin").read_bytes()).hexdigest() == original


def test_unversioned_bucket_is_refused(tmp_path: Path, moto_url: str) -> None:
    """A bucket without versioning is a config error (exit 78): deletes would destroy data."""
    boto(moto_url).create_bucket(Bucket="syncd-unversioned")
    setup = _setup(tmp_path, moto_url, "syncd-unversioned")
    (setup.root / "x").write_bytes(b"x")
    code, _, err = sync_now(setup)
    assert code == 78, err
    assert "versioning" in err
