"""Files with unusual mtimes reach B2 with the src_last_modified_millis peers write."""

from __future__ import annotations

import os

import pytest

from tests.support.bucket_view import BucketView, assert_converged
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.integration

# name -> mtime in ns, and the ms rclone (UnixNano()/1e6) and b2sdk (int(mtime*1000)) write
MTIMES = {
    "moon-landing.txt": (-14_182_940_000_000_000, -14_182_940_000),
    "just-before-1970.txt": (-1_500_000, -1),
    "less-than-a-ms-before.txt": (-999_999, 0),
    "year-2200.txt": (7_258_118_400_123_456_789, 7_258_118_400_123),
    "almost-next-ms.txt": (1_600_000_000_123_999_999, 1_600_000_000_123),
}


def test_pre_1970_and_far_future_mtimes_upload_once(setup: Setup, view: BucketView) -> None:
    """Negative, far-future and sub-ms mtimes upload, carry the peers' ms, and stay unchanged."""
    for name, (mtime_ns, _ms) in MTIMES.items():
        path = setup.root / name
        path.write_text(name)
        os.utime(path, ns=(mtime_ns, mtime_ns))
    code, summary, err = sync_now(setup, timeout_s=60)
    assert code == 0, err
    assert summary["failed"] == []
    assert summary["uploaded_files"] == len(MTIMES)
    latest = view.latest(setup.bucket, setup.prefix)
    assert {n[len(setup.prefix) :]: v.mtime_ms for n, v in latest.items()} == {
        name: ms for name, (_ns, ms) in MTIMES.items()
    }
    assert_converged(view, setup.bucket, setup.prefix, setup.root)
    code, summary, err = sync_now(setup)
    assert (code, summary["uploaded_files"], summary["copied_files"]) == (0, 0, 0), err


def test_mtime_beyond_64_bit_ns_is_reported_not_retried_forever(setup: Setup) -> None:
    """A year-3000 mtime (more ns than 64 bits hold) is skipped once with a reason."""
    (setup.root / "ok.txt").write_text("ok")
    path = setup.root / "year-3000.txt"
    path.write_text("far")
    os.utime(path, ns=(32_503_680_000_000_000_000,) * 2)
    code, summary, err = sync_now(setup, timeout_s=60)
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    assert [(i["path"], "2262" in i["reason"]) for i in summary["skipped"]] == [
        ("year-3000.txt", True)
    ]
