"""rclone reads files that B2 (here the emulator) stores with SSE-B2."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.peers.conftest import Rclone
from tests.peers.peerkit import BUCKET, assert_same_tree, make_tree
from tests.support.bucket_view import BucketView

pytestmark = pytest.mark.peers


def test_rclone_reads_sse_b2_files(rclone: Rclone, work: Path) -> None:
    """Files written under a bucket default of SSE-B2 are SSE-B2, and rclone reads them back."""
    server = rclone.server
    view = BucketView(server.base_url, server.key_id, server.key)
    try:
        bucket_id = view.bucket_id(BUCKET)
        view.call(
            "b2_update_bucket",
            {
                "accountId": view.account_id,
                "bucketId": bucket_id,
                "defaultServerSideEncryption": {"mode": "SSE-B2", "algorithm": "AES256"},
            },
        )
        tree = work / "up"
        make_tree(tree)
        rclone.ok("copy", str(tree), rclone.remote("sse"))
        files = view.call("b2_list_file_versions", {"bucketId": bucket_id, "prefix": "sse/"})
        modes = {f["serverSideEncryption"]["mode"] for f in files["files"]}
        assert modes == {"SSE-B2"}
    finally:
        view.http.close()
    back = work / "down"
    rclone.ok("copy", rclone.remote("sse"), str(back))
    assert_same_tree(tree, back)
    rclone.check(tree, "sse")
