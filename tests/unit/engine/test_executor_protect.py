"""Executor with encryption and Object Lock: locked versions kept, rotated keys re-uploaded."""

from __future__ import annotations

from typing import cast

from syncd.b2 import B2Client, Bucket, FileVersion
from syncd.config import FolderConfig
from syncd.domain import B2Name
from syncd.engine.executor import Executor, Outcome
from syncd.engine.plan import CopyFrom, DeleteAllVersions
from syncd.engine.report import RunReport
from syncd.errors import EncryptionKeyMissingError, VersionLockedError
from tests.unit.engine.conftest import BUCKET, PREFIX, file_version, index_entry, local_state
from tests.unit.engine.test_executor import FakeClient

NAME = B2Name(PREFIX + "a.txt")


class GuardedClient(FakeClient):
    """B2 refuses to delete the versions in ``locked``; copies need a key it lacks."""

    def __init__(self) -> None:
        super().__init__()
        self.locked: set[str] = set()

    def delete_version(self, version: FileVersion) -> None:
        self.calls.append(("delete_version", version.file_id))
        if version.file_id in self.locked:
            raise VersionLockedError(f"{version.file_id} is under Object Lock", status=403)

    def copy_file_id(
        self, file_id: str, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        self.calls.append(("copy_file_id", (file_id, bucket, b2_name, src_last_modified_ms)))
        raise EncryptionKeyMissingError(f"{file_id} needs SSE-C key old-key")


def test_locked_versions_are_kept_hidden_and_reported(folder: FolderConfig) -> None:
    """Unlocked versions go, a locked one stays; the name is hidden and the reason reported."""
    client, report = GuardedClient(), RunReport()
    client.versions = [file_version(NAME, file_id="v2"), file_version(NAME, file_id="v1")]
    client.locked = {"v1"}
    executor = Executor(cast(B2Client, client), report)
    outcome = executor.execute(DeleteAllVersions(indexed=index_entry("a.txt")), folder, BUCKET)
    assert [c for c in client.calls if c[0] in ("delete_version", "hide")] == [
        ("delete_version", "v2"),
        ("delete_version", "v1"),
        ("hide", (BUCKET, NAME)),
    ]
    assert outcome == Outcome(remove_index=True)
    assert report.deleted_versions == 1
    (kept,) = report.skipped
    assert (kept.rel_path, kept.error) == (
        "a.txt",
        "1 version(s) kept under Object Lock, name hidden: v1 is under Object Lock",
    )


def test_copy_of_a_version_with_an_unknown_key_uploads_instead(folder: FolderConfig) -> None:
    """A rename whose source needs an SSE-C key no longer configured sends the bytes."""
    client, report = GuardedClient(), RunReport()
    local = local_state("b.txt")
    b2_name = B2Name(PREFIX + "b.txt")
    source = index_entry("a.txt", file_id="src-id")
    action = CopyFrom(local=local, b2_name=b2_name, source=source, reason="rename")
    outcome = Executor(cast(B2Client, client), report).execute(action, folder, BUCKET)
    assert [c[0] for c in client.calls] == ["copy_file_id", "upload_file"]
    assert outcome.index is not None
    assert outcome.index.file_id == "new-id"
    assert report.uploaded_files == 1
    assert report.copied_files == 0
