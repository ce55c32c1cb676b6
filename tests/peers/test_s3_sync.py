"""syncd over the emulator's S3 port, seen through the native API by the b2 CLI and rclone's
b2 backend; and syncd's native uploads seen over S3 by boto3."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.emulator.s3.conftest import s3_client
from tests.peers.conftest import B2Cli, make_rclone
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.peers
BUCKET = "test-bucket"
MTIME_NS = 1_600_000_000_555_000_000


def _setup(tmp_path: Path, server: EmulatorServer, *, api: str) -> Setup:
    root = tmp_path / "folder"
    root.mkdir()
    setup = Setup(
        root=root,
        state=tmp_path / "state",
        config=tmp_path / "syncd.toml",
        url=server.base_url,
        key_id=server.key_id,
        key=server.key,
        bucket=BUCKET,
    )
    extra = "part_size_bytes = 100000\nlarge_file_threshold_bytes = 250000\n"
    if api == "s3":
        extra += f'api = "s3"\ns3_endpoint = "{server.s3_url}"\n'
    write_config(setup, b2=extra)
    (root / "d").mkdir()
    (root / "d" / "small.txt").write_bytes(b"small over s3")
    (root / "big.bin").write_bytes(os.urandom(300_000))
    for path in (root / "d" / "small.txt", root / "big.bin"):
        os.utime(path, ns=(MTIME_NS, MTIME_NS))
    return setup


def test_sync_over_s3_is_seen_by_b2_cli_and_rclone_b2(
    tmp_path: Path, b2_authorized: B2Cli, sdk_server: EmulatorServer
) -> None:
    """sync-now with api = s3: the b2 CLI and rclone's b2 backend see names, SHA-1s and mtimes."""
    setup = _setup(tmp_path, sdk_server, api="s3")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 2
    listed = json.loads(b2_authorized.ok("ls", "--json", "-r", f"b2://{BUCKET}/host1/").out)
    by_name = {f["fileName"]: f for f in listed}
    assert set(by_name) == {"host1/d/small.txt", "host1/big.bin"}
    small, big = by_name["host1/d/small.txt"], by_name["host1/big.bin"]
    assert small["contentSha1"] == hashlib.sha1(b"small over s3").hexdigest()
    big_sha1 = hashlib.sha1((setup.root / "big.bin").read_bytes()).hexdigest()
    assert big["fileInfo"]["large_file_sha1"] == big_sha1  # a multipart upload is a large file
    for entry in (small, big):
        assert entry["fileInfo"]["src_last_modified_millis"] == "1600000000555"
    rclone = make_rclone("debian", tmp_path, sdk_server)
    rclone.check(setup.root, "host1", "--exclude", ".syncd-folder")
    assert rclone.lsl("host1") == {
        "d/small.txt": (13, 1_600_000_000_555),
        "big.bin": (300_000, 1_600_000_000_555),
    }


def test_native_sync_is_seen_over_s3(tmp_path: Path, sdk_server: EmulatorServer) -> None:
    """A native sync-now: boto3 sees x-amz-meta-src_last_modified_millis and the bytes over S3."""
    setup = _setup(tmp_path, sdk_server, api="native")
    code, _, err = sync_now(setup)
    assert code == 0, err
    client = s3_client(sdk_server.s3_url, sdk_server.key_id, sdk_server.key)
    head = client.head_object(Bucket=BUCKET, Key="host1/d/small.txt")
    assert head["Metadata"]["src_last_modified_millis"] == "1600000000555"
    body = client.get_object(Bucket=BUCKET, Key="host1/big.bin")["Body"].read()
    assert body == (setup.root / "big.bin").read_bytes()
