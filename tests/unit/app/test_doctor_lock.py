"""doctor's Object Lock line: the bucket's lock against [retention.lock]."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from syncd.app.doctor import FAIL, OK
from syncd.app.doctor_remote import lock_check
from syncd.config import B2Config, Config, FolderConfig, LogConfig, StateConfig, SyncConfig
from syncd.remote import Bucket, RetentionLock

BUCKET = Bucket(bucket_id="b", bucket_name="bucket-one", bucket_type="allPrivate")


def config(tmp_path: Path, lock: RetentionLock | None) -> Config:
    """A one-folder config with or without [retention.lock]."""
    return Config(
        source=tmp_path / "syncd.toml",
        b2=B2Config(key_id="k", application_key="s", key_source="env:K"),
        state=StateConfig(dir=tmp_path / "state"),
        log=LogConfig(),
        sync=SyncConfig(),
        folders=(FolderConfig(name="docs", path=tmp_path, bucket="bucket-one"),),
        lock=lock,
    )


@pytest.mark.parametrize(
    ("lock", "enabled", "status"),
    [
        (None, False, OK),
        (None, True, OK),
        (RetentionLock(mode="governance", days=30), True, OK),
        (RetentionLock(mode="compliance", days=30), False, FAIL),
        (RetentionLock(mode="compliance", days=30), None, FAIL),
    ],
)
def test_lock_status_is_reported(
    tmp_path: Path, lock: RetentionLock | None, enabled: bool | None, status: str
) -> None:
    """Object Lock is shown per bucket; a lock setting on a bucket without it fails."""
    check = lock_check(config(tmp_path, lock), "docs", replace(BUCKET, file_lock_enabled=enabled))
    assert (check.name, check.status) == ("lock:docs", status)
    assert "Object Lock" in check.detail
    assert bool(check.fix) == (status == FAIL)
