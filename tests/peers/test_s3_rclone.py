"""rclone's s3 backend against the emulator's S3 port, crossed with the native API."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import EmulatorServer
from tests.peers.conftest import Rclone, make_rclone
from tests.peers.peerkit import RCLONE_IDS, pseudo_random, set_mtime_ms

pytestmark = pytest.mark.peers


@pytest.fixture(params=RCLONE_IDS)
def rclone_s3(
    request: pytest.FixtureRequest, tmp_path: Path, rclone_server: EmulatorServer
) -> Rclone:
    """Each rclone binary, its remote ``emu:`` being the emulator's S3 port."""
    rc = make_rclone(request.param, tmp_path, rclone_server)
    rc.env.pop("AWS_CA_BUNDLE", None)  # the AWS SDK in rclone cannot use one over plain http
    for name in ("ACCOUNT", "KEY", "ENDPOINT"):
        rc.env.pop(f"RCLONE_CONFIG_EMU_{name}")
    rc.env.update(
        RCLONE_CONFIG_EMU_TYPE="s3",
        RCLONE_CONFIG_EMU_PROVIDER="Other",
        RCLONE_CONFIG_EMU_ENDPOINT=rclone_server.s3_url,
        RCLONE_CONFIG_EMU_ACCESS_KEY_ID=rclone_server.key_id,
        RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY=rclone_server.key,
        RCLONE_CONFIG_EMU_REGION="us-west-004",
        RCLONE_CONFIG_EMU_FORCE_PATH_STYLE="true",
    )
    return rc


def _native(server: EmulatorServer) -> Any:
    from b2sdk.v3 import B2Api, InMemoryAccountInfo  # noqa: PLC0415

    api = B2Api(InMemoryAccountInfo())
    api.authorize_account(server.key_id, server.key, realm=server.base_url)
    return api.get_bucket_by_name("test-bucket")


def test_rclone_s3_copy_appears_natively(rclone_s3: Rclone, work: Path) -> None:
    """Files rclone copies over S3 (one multipart) are native versions with the right SHA-1."""
    (work / "small.txt").write_bytes(b"small file")
    (work / "big.bin").write_bytes(pseudo_random(11_000_000))
    set_mtime_ms(work / "small.txt", 1_600_000_000_000)
    rclone_s3.ok(
        "copy",
        str(work),
        rclone_s3.remote("dir"),
        "--s3-upload-cutoff",
        "5M",
        "--s3-chunk-size",
        "5M",
    )
    native = {v.file_name: v for v, _ in _native(rclone_s3.server).ls(recursive=True)}
    assert set(native) == {"dir/small.txt", "dir/big.bin"}
    assert native["dir/small.txt"].content_sha1 == hashlib.sha1(b"small file").hexdigest()
    assert native["dir/big.bin"].size == 11_000_000
    listed = rclone_s3.lsl("dir")
    assert listed["small.txt"] == (10, 1_600_000_000_000)
    rclone_s3.ok("check", str(work), rclone_s3.remote("dir"), "--download")


def test_native_upload_is_listed_and_read_by_rclone_s3(rclone_s3: Rclone, work: Path) -> None:
    """A native upload is listed and read by rclone's s3 backend (mtime from info ``mtime``)."""
    bucket = _native(rclone_s3.server)
    bucket.upload_bytes(
        b"native",
        "n/a.txt",
        file_info={"src_last_modified_millis": "1500000000000", "mtime": "1500000000.000"},
    )
    assert rclone_s3.lsl("n") == {"a.txt": (6, 1_500_000_000_000)}
    rclone_s3.ok("copy", rclone_s3.remote("n"), str(work / "back"))
    assert (work / "back" / "a.txt").read_bytes() == b"native"
