"""The prune step's local parts: which names exist locally, and Object Lock dates."""

from __future__ import annotations

import threading
from dataclasses import replace
from pathlib import Path

from syncd.config import FolderConfig, RetentionPolicy
from syncd.engine.prune import (
    LEGAL_HOLD_MS,
    exists_locally,
    lock_dates,
    name_versions,
    prune_folder,
)
from syncd.remote import Bucket, FileVersion


def version(name: str, n: int, action: str = "upload") -> FileVersion:
    """Version ``n`` of ``name`` (higher is newer)."""
    return FileVersion(
        file_id=f"{name}-{n}", file_name=name, action=action, size=1, content_sha1=None,
        is_sha1_verified=True, content_type=None, upload_timestamp_ms=n,
        src_last_modified_ms=None, file_info={},
    )  # fmt: skip


def test_names_are_grouped_newest_first_with_local_presence(tmp_path: Path) -> None:
    """Versions group per name newest first; unfinished large files are left out."""
    (tmp_path / "a").write_bytes(b"x")
    folder = FolderConfig(name="f", path=tmp_path, bucket="bucket", prefix="p/",
                          retention=RetentionPolicy(keep_versions=1))  # fmt: skip
    listing = [version("p/a", 1), version("p/a", 2), version("p/b", 3, "start"),
               version("p/c", 4)]  # fmt: skip
    names = list(name_versions(folder, listing))
    assert [(n.name, [v.file_id for v in n.versions], n.exists_locally) for n in names] == [
        ("p/a", ["p/a-2", "p/a-1"], True),
        ("p/c", ["p/c-4"], False),
    ]


def test_exists_locally_refuses_names_outside_the_folder(tmp_path: Path) -> None:
    """A name that climbs out of the folder never counts as a local file."""
    (tmp_path / "x").write_bytes(b"x")
    assert exists_locally(tmp_path, "x")
    assert not exists_locally(tmp_path, "../x")
    assert not exists_locally(tmp_path, "")
    assert not exists_locally(tmp_path / "x", "y")  # a file where a directory would be


def test_lock_dates_read_object_lock_fields_when_present() -> None:
    """Retain-until dates and legal holds become lock dates; plain versions have none."""
    plain = version("a", 1)
    held = replace(plain, file_id="held", legal_hold=True)
    until = replace(plain, file_id="until", retention_mode="governance", retain_until_ms=99)
    released = replace(plain, file_id="off", legal_hold=False, retain_until_ms=5)
    assert lock_dates([plain, held, until, released]) == {"held": LEGAL_HOLD_MS, "until": 99}


class Recorder:
    """A RemoteStore stand-in for deletes only: it records them, and can stop after n."""

    def __init__(self, stop_after: int, stop: threading.Event) -> None:
        self.deleted: list[str] = []
        self.stop_after = stop_after
        self.stop = stop

    def delete_version(self, version: FileVersion) -> None:
        """Record the delete; set the stop event after ``stop_after`` deletes."""
        self.deleted.append(version.file_id)
        if len(self.deleted) == self.stop_after:
            self.stop.set()


def test_a_set_stop_ends_the_deletes_in_a_safe_order(tmp_path: Path) -> None:
    """Deletes go oldest first and stop between two calls once stop is set."""
    folder = FolderConfig(name="f", path=tmp_path, bucket="bucket", prefix="p/",
                          retention=RetentionPolicy(keep_days=1))  # fmt: skip
    listing = [version("p/a", 4, "hide"), version("p/a", 3), version("p/a", 2)]
    stop = threading.Event()
    store = Recorder(stop_after=1, stop=stop)
    outcome = prune_folder(
        folder,
        Bucket(bucket_id="b", bucket_name="bucket", bucket_type="allPrivate"),
        versions=lambda _b, _p: listing,
        store=store,  # type: ignore[arg-type]
        now_ms=10 * 86_400_000,
        approve=True,  # all three go: past the default max_delete_share
        stop=stop,
    )
    assert store.deleted == ["p/a-2"]
    assert outcome.deleted == 1
    assert [v.file_id for v in outcome.plan.deletes] == ["p/a-2", "p/a-3", "p/a-4"]
