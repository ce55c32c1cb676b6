"""Executor: each planned action becomes the right B2 calls and the right index outcome."""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

import pytest

from syncd.b2 import B2Client, Bucket, FileVersion, UploadResult
from syncd.config import FolderConfig
from syncd.domain import B2Name, LocalState, RelPath
from syncd.engine.executor import Executor, Outcome, entry_for
from syncd.engine.plan import (
    CopyFrom,
    DeleteAllVersions,
    Forget,
    Hide,
    NeedHash,
    Refresh,
    Skip,
    Upload,
)
from syncd.engine.report import RunReport
from syncd.errors import (
    RemoteBadRequestError,
    RemoteConflictError,
    RemoteError,
    RemoteNotFoundError,
    RemoteTransientError,
)
from syncd.journal import Journal
from syncd.remote import LargeStart
from tests.support.fake_clock import FakeClock
from tests.unit.engine.conftest import (
    BUCKET,
    FOLDER,
    PREFIX,
    file_version,
    index_entry,
    local_state,
)


class FakeClient:
    """The few B2Client methods the executor calls, recorded; answers set per test."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, Any]] = []
        self.hide_error: RemoteError | None = None
        self.hide_answer: str | None = "marker"  # None: B2 held nothing to hide
        self.versions: list[FileVersion] = []
        self.latest: FileVersion | None = None

    def upload_file(
        self,
        bucket: Bucket,
        b2_name: str,
        abs_path: Path,
        expected: LocalState,
        *,
        on_progress: Callable[[int], None] | None = None,
        resume: object = None,
        sha1: str | None = None,
    ) -> UploadResult:
        self.calls.append(("upload_file", (bucket, b2_name, abs_path, expected)))
        if on_progress is not None:
            on_progress(expected.size)
        version = file_version(b2_name, file_id="new-id", size=expected.size, uploaded_ms=42)
        return UploadResult(version=version, sha1="c" * 40)

    def copy_file_id(
        self, file_id: str, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        self.calls.append(("copy_file_id", (file_id, bucket, b2_name, src_last_modified_ms)))
        return file_version(b2_name, file_id="copy-id", uploaded_ms=43)

    def copy_file(
        self, source: FileVersion, bucket: Bucket, b2_name: str, *, src_last_modified_ms: int | None
    ) -> FileVersion:
        self.calls.append(("copy_file", (source, bucket, b2_name, src_last_modified_ms)))
        return file_version(b2_name, file_id="copy-id", uploaded_ms=43)

    def hide(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        self.calls.append(("hide", (bucket, b2_name)))
        if self.hide_error is not None:
            raise self.hide_error
        if self.hide_answer is None:
            return None
        return file_version(b2_name, action="hide", size=0)

    def iter_versions(self, bucket: Bucket, prefix: str = "") -> Iterator[FileVersion]:
        self.calls.append(("iter_versions", (bucket, prefix)))
        return iter([v for v in self.versions if v.file_name.startswith(prefix)])

    def delete_version(self, version: FileVersion) -> None:
        self.calls.append(("delete_version", version.file_id))

    def latest_version(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        self.calls.append(("latest_version", (bucket, b2_name)))
        return self.latest

    def cancel_large_file(self, file_id: str) -> None:
        self.calls.append(("cancel_large_file", file_id))

    def cancel_unfinished_of(self, bucket: Bucket, b2_name: str) -> None:
        self.calls.append(("cancel_unfinished_of", (bucket, b2_name)))


@pytest.fixture
def client() -> FakeClient:
    """A fake B2 client."""
    return FakeClient()


@pytest.fixture
def report() -> RunReport:
    """The run's counters."""
    return RunReport()


@pytest.fixture
def executor(client: FakeClient, report: RunReport) -> Executor:
    """An executor over the fake client."""
    return Executor(cast(B2Client, client), report)


NAME = B2Name(PREFIX + "a.txt")


def test_upload_records_what_b2_stored(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """Upload sends the local file and the index entry takes B2's file id, time and sha1."""
    sent: list[int] = []
    report.progress = lambda what, n: sent.append(n) if what == "bytes" else None
    local = local_state("a.txt", size=10)
    outcome = executor.execute(Upload(local=local, b2_name=NAME), folder, BUCKET)
    assert client.calls == [("upload_file", (BUCKET, NAME, folder.path / "a.txt", local))]
    assert outcome.index == entry_for(
        FOLDER, NAME, local, sha1="c" * 40, file_id="new-id", uploaded_ms=42
    )
    assert outcome.written is not None
    assert [v.file_id for v in outcome.written.versions] == ["new-id"]  # ours, for the cache
    assert outcome.index is not None
    assert (outcome.index.dev, outcome.index.inode, outcome.index.ctime_ns) == (1, 7, 6_000_000_000)
    assert (report.uploaded_files, report.uploaded_bytes) == (1, 10)
    assert sent == [10]


def test_copy_reuses_the_source_sha1(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """CopyFrom copies the source id with the local mtime; the entry keeps the source's sha1."""
    local = local_state("b.txt", mtime_ns=9_000_000_999)
    source = index_entry("a.txt", sha1="d" * 40, file_id="src-id")
    b2_name = B2Name(PREFIX + "b.txt")
    action = CopyFrom(local=local, b2_name=b2_name, source=source, reason="rename")
    outcome = executor.execute(action, folder, BUCKET)
    assert client.calls == [("copy_file_id", ("src-id", BUCKET, b2_name, 9_000))]
    assert outcome.index == entry_for(
        FOLDER, b2_name, local, sha1="d" * 40, file_id="copy-id", uploaded_ms=43
    )
    assert report.copied_files == 1


def test_hide_removes_the_entry(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """Hide hides the indexed name and removes the index entry."""
    outcome = executor.execute(Hide(indexed=index_entry("a.txt")), folder, BUCKET)
    assert client.calls == [("hide", (BUCKET, NAME))]
    assert (outcome.index, outcome.remove_index) == (None, True)
    assert outcome.written is not None
    assert [v.action for v in outcome.written.versions] == ["hide"]
    assert report.hidden_files == 1


@pytest.mark.parametrize("answer", ["marker", None], ids=["already-hidden", "nothing-there"])
def test_hide_of_a_hidden_or_missing_name_is_done(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig, answer: Any
) -> None:
    """A name already hidden or absent counts as hidden; the executor sees no B2 code."""
    client.hide_answer = answer
    outcome = executor.execute(Hide(indexed=index_entry("a.txt")), folder, BUCKET)
    assert (outcome.index, outcome.remove_index) == (None, True)
    assert report.hidden_files == 1


@pytest.mark.parametrize(
    "error",
    [
        RemoteBadRequestError("bad", status=400, code="bad_request"),
        RemoteNotFoundError("no bucket", status=404, code="bad_bucket_id"),
        RemoteConflictError("conflict", status=409, code="conflict"),
        RemoteTransientError("busy", status=503, code="service_unavailable"),
    ],
    ids=lambda e: f"{type(e).__name__}-{e.code}",
)
def test_other_hide_errors_propagate(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig, error: Any
) -> None:
    """Any other hide error reaches the worker and nothing is counted."""
    client.hide_error = error
    with pytest.raises(type(error)):
        executor.execute(Hide(indexed=index_entry("a.txt")), folder, BUCKET)
    assert report.hidden_files == 0


def test_delete_all_versions_deletes_only_that_name(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """DeleteAllVersions deletes every version of exactly the name, not of names it prefixes."""
    client.versions = [
        file_version(NAME, file_id="v2"),
        file_version(NAME, file_id="v1", action="hide"),
        file_version(NAME + ".bak", file_id="bak"),
        file_version(NAME + "/child", file_id="child"),
        file_version(PREFIX + "b.txt", file_id="other"),
    ]
    outcome = executor.execute(DeleteAllVersions(indexed=index_entry("a.txt")), folder, BUCKET)
    assert [c for c in client.calls if c[0] == "delete_version"] == [
        ("delete_version", "v2"),
        ("delete_version", "v1"),
    ]
    assert (outcome.index, outcome.remove_index) == (None, True)
    assert outcome.written is not None
    assert outcome.written.purged == NAME
    assert report.deleted_versions == 2


def test_forget_touches_nothing_remote(
    executor: Executor, client: FakeClient, folder: FolderConfig
) -> None:
    """Forget removes the index entry without a B2 call."""
    outcome = executor.execute(Forget(indexed=index_entry("a.txt")), folder, BUCKET)
    assert outcome == Outcome(remove_index=True)
    assert client.calls == []


def test_skip_counts_unchanged(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """Skip changes nothing and counts an unchanged file."""
    assert executor.execute(Skip(reason="unchanged"), folder, BUCKET) == Outcome()
    assert client.calls == []
    assert report.unchanged_files == 1


def test_refresh_takes_the_new_identity_and_keeps_the_version(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig
) -> None:
    """Refresh records the new local identity with the indexed sha1, file id and upload time."""
    indexed = index_entry("a.txt", inode=7, sha1="e" * 40, file_id="kept", upload_timestamp_ms=9)
    local = local_state("a.txt", inode=8, ctime_ns=7_000_000_000)
    outcome = executor.execute(Refresh(local=local, indexed=indexed), folder, BUCKET)
    assert outcome.index == entry_for(
        FOLDER, indexed.b2_name, local, sha1="e" * 40, file_id="kept", uploaded_ms=9
    )
    assert client.calls == []
    assert report.refreshed_files == 1


def test_need_hash_is_never_executed(executor: Executor, folder: FolderConfig) -> None:
    """NeedHash reaching the executor is a programming error."""
    with pytest.raises(AssertionError):
        executor.execute(NeedHash(local=local_state()), folder, BUCKET)


# -- adopt after a crash -------------------------------------------------------------

DATA = b"stored before the crash\n"
SHA = hashlib.sha1(DATA).hexdigest()


@pytest.fixture
def on_disk(root: Path) -> LocalState:
    """a.txt on disk with a fixed mtime."""
    path = root / "a.txt"
    path.write_bytes(DATA)
    os.utime(path, ns=(1_600_000_000_123_456_789,) * 2)
    return LocalState.from_stat(RelPath("a.txt"), os.lstat(path))


def stored(on_disk: LocalState, **changes: Any) -> FileVersion:
    """B2's version of a.txt, matching ``on_disk`` unless changed."""
    fields: dict[str, Any] = {
        "file_id": "stored-id",
        "size": on_disk.size,
        "sha1": SHA,
        "mtime_ms": on_disk.mtime_ms,
        "uploaded_ms": 77,
    }
    fields.update(changes)
    return file_version(NAME, **fields)


def test_adopt_records_the_stored_version(
    executor: Executor, client: FakeClient, report: RunReport, folder: FolderConfig, on_disk: Any
) -> None:
    """A stored version with the same size, mtime and sha1 is adopted instead of re-sent."""
    client.latest = stored(on_disk)
    outcome = executor.adopt(on_disk, NAME, folder, BUCKET)
    assert outcome == Outcome(
        index=entry_for(FOLDER, NAME, on_disk, sha1=SHA, file_id="stored-id", uploaded_ms=77)
    )
    assert client.calls == [("latest_version", (BUCKET, NAME))]
    assert report.adopted_files == 1


@pytest.mark.parametrize(
    "changes",
    [
        {"action": "hide"},
        {"action": "start"},
        {"size": 1},
        {"mtime_ms": 1},
        {"mtime_ms": None},
        {"sha1": None},
        {"sha1": "0" * 40},
    ],
    ids=["hidden", "unfinished", "other-size", "other-mtime", "no-mtime", "no-sha1", "other-sha1"],
)
def test_adopt_refuses_anything_else(
    executor: Executor,
    client: FakeClient,
    report: RunReport,
    folder: FolderConfig,
    on_disk: LocalState,
    changes: dict[str, Any],
) -> None:
    """Any difference in action, size, mtime or sha1 means no adoption: the file is sent."""
    client.latest = stored(on_disk, **changes)
    assert executor.adopt(on_disk, NAME, folder, BUCKET) is None
    assert report.adopted_files == 0


def test_adopt_with_nothing_stored(
    executor: Executor, client: FakeClient, folder: FolderConfig, on_disk: LocalState
) -> None:
    """Nothing on B2 under the name means no adoption."""
    assert executor.adopt(on_disk, NAME, folder, BUCKET) is None


def test_copy_takes_its_source_from_the_remote_index(
    client: FakeClient, report: RunReport, folder: FolderConfig, tmp_path: Path
) -> None:
    """With the source's row in the journal: copy_file from it, no lookup by id; history note."""
    info = {"large_file_sha1": "d" * 40}
    source_version = replace(
        file_version(NAME, file_id="src-id"), content_type="text/plain", file_info=info,
        encryption="SSE-B2",
    )  # fmt: skip
    with Journal.open(tmp_path / "j.sqlite3", clock=FakeClock()) as journal:
        walk = journal.remote.begin_walk(FOLDER, 1)
        journal.remote.store_page(FOLDER, walk.walk, [source_version], None)
        executor = Executor(cast(B2Client, client), report, journal)
        local = local_state("a.txt", mtime_ns=9_000_000_999)
        indexed = index_entry("a.txt", sha1="a" * 40, file_id="src-id")
        action = CopyFrom(local=local, b2_name=NAME, source=indexed, reason="touch")
        outcome = executor.execute(action, folder, BUCKET)
    [(name, (source, bucket, b2_name, mtime_ms))] = client.calls
    assert (name, bucket, b2_name, mtime_ms) == ("copy_file", BUCKET, NAME, 9_000)
    assert (source.file_id, source.content_type, dict(source.file_info), source.encryption) == (
        "src-id", "text/plain", {"large_file_sha1": "d" * 40}, "SSE-B2",
    )  # fmt: skip
    assert outcome.written is not None
    assert outcome.written.detail == "touch"


def test_a_path_that_needs_no_new_content_cancels_its_recorded_large_upload(
    client: FakeClient, report: RunReport, folder: FolderConfig, tmp_path: Path
) -> None:
    """The large upload recorded for a path is cancelled and forgotten once; no record, no call."""
    with Journal.open(tmp_path / "j.sqlite3", clock=FakeClock()) as journal:
        journal.large.started(
            FOLDER,
            "big.bin",
            LargeStart(file_id="large-id", sha1="e" * 40, mtime_ms=5, part_size=1 << 20),
        )
        executor = Executor(cast(B2Client, client), report, journal)
        executor.cancel_unfinished(folder, BUCKET, RelPath("big.bin"))
        executor.cancel_unfinished(folder, BUCKET, RelPath("big.bin"))
        executor.cancel_unfinished(folder, BUCKET, RelPath("other.bin"))
        assert journal.large.get(FOLDER, "big.bin") is None
    assert client.calls == [("cancel_large_file", "large-id")]


def test_a_start_recorded_before_its_answer_is_cancelled_by_name(
    client: FakeClient, report: RunReport, folder: FolderConfig, tmp_path: Path
) -> None:
    """A start recorded with no id yet (a crash before the answer) is cancelled by its B2 name."""
    with Journal.open(tmp_path / "j.sqlite3", clock=FakeClock()) as journal:
        journal.large.started(
            FOLDER, "big.bin", LargeStart(file_id="", sha1="e" * 40, mtime_ms=5, part_size=1 << 20)
        )
        executor = Executor(cast(B2Client, client), report, journal)
        executor.cancel_unfinished(folder, BUCKET, RelPath("big.bin"))
        assert journal.large.get(FOLDER, "big.bin") is None
    assert client.calls == [("cancel_unfinished_of", (BUCKET, B2Name(PREFIX + "big.bin")))]


def test_the_record_check_reads_the_journal_once_not_per_job(tmp_path: Path) -> None:
    """may_have answers from memory after one read, and sees starts and forgets made since."""
    start = LargeStart(file_id="id", sha1="e" * 40, mtime_ms=5, part_size=1 << 20)
    with Journal.open(tmp_path / "j.sqlite3", clock=FakeClock()) as journal:
        journal.large.started(FOLDER, "a.bin", start)
        assert journal.large.may_have(FOLDER, "a.bin")
        assert not journal.large.may_have(FOLDER, "b.bin")
        journal.large.started(FOLDER, "b.bin", start)
        assert journal.large.may_have(FOLDER, "b.bin")
        journal.large.forget(FOLDER, "a.bin")
        assert not journal.large.may_have(FOLDER, "a.bin")
    with Journal.open(tmp_path / "j.sqlite3", clock=FakeClock()) as journal:
        assert journal.large.may_have(FOLDER, "b.bin")
        assert not journal.large.may_have(FOLDER, "a.bin")
