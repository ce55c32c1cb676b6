"""WorkerPool sorts errors by their recovery: requeue, skip once, back off, pause, stop.

Driven through ``drain()`` with one worker, a real journal, a fake clock and a fake
client, so each test runs one deterministic pass and ends when nothing is due.
"""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
from structlog.testing import capture_logs

from syncd.b2 import B2Client, Bucket, FileVersion, UploadResult
from syncd.cli.sync_cmd import exit_code
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, LocalChange, LocalState, RelPath
from syncd.engine.guard import RootGuard
from syncd.engine.report import RunReport
from syncd.engine.worker import MAX_REQUEUES, FolderRuntime, WorkerPool
from syncd.errors import (
    AuthRejectedError,
    CapExceededError,
    FileChangedError,
    FileVanishedError,
    JournalError,
    LocalAccessError,
    LocalError,
    RemoteBadRequestError,
    RemoteNotFoundError,
    RemoteTransientError,
)
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock
from tests.unit.engine.conftest import BUCKET, FOLDER, PREFIX, file_version, index_entry

Step = BaseException | None  # what one upload call raises (None: it succeeds)


class FakeClient:
    """upload_file answers from a script of errors; records every call."""

    def __init__(self) -> None:
        self.script: list[Step] = []
        self.uploads: list[str] = []
        self.hides: list[str] = []
        self.on_upload: Callable[[], None] | None = None
        self.sending: Callable[[Callable[[int], None]], None] | None = None  # during the body

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
        self.uploads.append(b2_name)
        if self.on_upload is not None:
            self.on_upload()
        if self.sending is not None and on_progress is not None:
            self.sending(on_progress)
        step = self.script.pop(0) if self.script else None
        if step is not None:
            raise step
        version = file_version(b2_name, file_id="id-" + b2_name, size=expected.size)
        return UploadResult(version=version, sha1="c" * 40)

    def latest_version(self, bucket: Bucket, b2_name: str) -> FileVersion | None:
        return None

    def hide(self, bucket: Bucket, b2_name: str) -> FileVersion:
        self.hides.append(b2_name)
        return file_version(b2_name, action="hide", size=0)


class Rig:
    """A pool with one worker over one folder, and what the tests look at."""

    def __init__(
        self, journal: Journal, clock: FakeClock, folder: FolderConfig, **sync: Any
    ) -> None:
        self.journal = journal
        self.clock = clock
        self.folder = folder
        self.client = FakeClient()
        self.report = RunReport()
        self.stop = threading.Event()
        self.guard = RootGuard(folder, journal)
        self.sync = SyncConfig(**{"workers": 1, "settle_s": 0.0, **sync})
        runtime = FolderRuntime(config=folder, bucket=BUCKET, root=self.guard)
        self.pool = WorkerPool(
            journal=journal,
            client=cast(B2Client, self.client),
            folders={FOLDER: runtime},
            sync=self.sync,
            clock=clock,
            report=self.report,
            rescan=lambda _folder, _under, _progress: None,
            rng=random.Random(7),
            stop=self.stop,
        )

    def hint(self, *rel_paths: str, kind: ChangeKind = ChangeKind.CHANGED) -> None:
        """Record hints for paths of the folder, due at once."""
        changes = [
            LocalChange(
                folder=FOLDER, rel_path=RelPath(p), kind=kind, observed_ms=self.clock.now_ms()
            )
            for p in rel_paths
        ]
        self.journal.record(changes, settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)

    def write(self, rel_path: str, data: bytes = b"data\n") -> None:
        """Create a file in the folder."""
        (self.folder.path / rel_path).write_bytes(data)

    def failures(self) -> list[tuple[str, int, str]]:
        """(path, attempts, error) of the journal's failing rows."""
        return [(str(p), n, e) for p, n, e in self.journal.failures(FOLDER)]


@pytest.fixture
def rig(journal: Journal, clock: FakeClock, folder: FolderConfig) -> Rig:
    """A pool ready to drain, its root recorded."""
    made = Rig(journal, clock, folder)
    made.guard.establish()
    return made


pytestmark = pytest.mark.timeout(20)


def test_upload_completes_and_indexes(rig: Rig) -> None:
    """A new file is uploaded and indexed, and its row is gone."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.pool.drain()
    assert rig.client.uploads == [PREFIX + "a.txt"]
    entry = rig.journal.index_get(FOLDER, RelPath("a.txt"))
    assert entry is not None
    assert entry.file_id == "id-" + PREFIX + "a.txt"
    assert rig.journal.pending_count() == 0
    assert rig.report.uploaded_files == 1


@pytest.mark.parametrize("error", [FileChangedError, FileVanishedError])
def test_changed_file_is_requeued_without_an_attempt(rig: Rig, error: type[LocalError]) -> None:
    """A file that moved during the upload is queued again at once with no attempt counted."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.client.script = [error("moved", rel_path="a.txt"), None]
    rig.pool.drain()
    assert rig.client.uploads == [PREFIX + "a.txt"] * 2
    assert rig.report.requeued_files == 1
    assert rig.report.failed == []
    assert rig.journal.pending_count() == 0
    assert rig.journal.index_get(FOLDER, RelPath("a.txt")) is not None


def test_file_that_never_holds_still_fails_after_max_requeues(rig: Rig) -> None:
    """A file changing on every read fails after MAX_REQUEUES requeues, then is retried."""
    rig.write("log.txt")
    rig.hint("log.txt")
    rig.client.script = [FileChangedError("moved", rel_path="log.txt")] * (MAX_REQUEUES + 1)
    rig.pool.drain()
    assert rig.report.requeued_files == MAX_REQUEUES
    (failure,) = rig.failures()
    assert failure[0] == "log.txt"
    assert "kept changing while it was read" in failure[2]
    assert rig.journal.pending_count() == 1


def test_requeue_leaves_the_attempt_count_alone(rig: Rig) -> None:
    """After a requeue then a failure, the row shows one attempt, not two."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.client.script = [
        FileChangedError("moved", rel_path="a.txt"),
        RemoteBadRequestError("refused", status=400, code="bad_request"),
    ]
    rig.pool.drain()
    assert rig.failures() == [("a.txt", 1, "refused")]


def test_special_file_is_skipped_once(rig: Rig) -> None:
    """A FIFO is reported once as an issue, its row dropped, never sent, over two passes."""
    os.mkfifo(rig.folder.path / "pipe")
    rig.hint("pipe")
    rig.pool.drain()
    rig.hint("pipe")
    rig.pool.drain()
    issues = rig.journal.issues(FOLDER)
    assert [(i.rel_path, "not a regular file" in i.reason) for i in issues] == [("pipe", True)]
    assert rig.journal.pending_count() == 0
    assert rig.journal.failures() == []
    assert rig.client.uploads == []


def test_name_b2_cannot_hold_is_skipped(rig: Rig) -> None:
    """A name with a control character is a LocalAccessError: one issue, row dropped, no upload."""
    rig.write("bad\x01name")
    rig.hint("bad\x01name")
    rig.pool.drain()
    assert [i.rel_path for i in rig.journal.issues(FOLDER)] == ["bad\x01name"]
    assert rig.journal.pending_count() == 0
    assert rig.client.uploads == []
    assert [f.rel_path for f in rig.report.skipped] == ["bad\x01name"]


def test_access_error_from_the_client_is_skipped_once(rig: Rig) -> None:
    """LocalAccessError raised while sending drops the row and reports one issue over two passes."""
    rig.write("a.txt")
    for _ in range(2):
        rig.client.script = [LocalAccessError("cannot open: Permission denied", rel_path="a.txt")]
        rig.hint("a.txt")
        rig.pool.drain()
    issues = rig.journal.issues(FOLDER)
    assert [(i.rel_path, i.reason) for i in issues] == [("a.txt", "cannot open: Permission denied")]
    assert rig.journal.pending_count() == 0
    assert rig.journal.failures() == []


def test_success_clears_an_earlier_issue(rig: Rig) -> None:
    """Once the path syncs, its remembered issue is forgotten."""
    rig.write("a.txt")
    rig.client.script = [LocalAccessError("cannot open", rel_path="a.txt")]
    rig.hint("a.txt")
    rig.pool.drain()
    rig.hint("a.txt")
    rig.pool.drain()
    assert rig.journal.issues(FOLDER) == []
    assert rig.journal.index_get(FOLDER, RelPath("a.txt")) is not None


def test_transient_error_fails_with_a_retry_time(rig: Rig) -> None:
    """A transient error counts an attempt, backs off into the future, marks B2 unavailable."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.client.script = [RemoteTransientError("service unavailable", status=503)]
    now = rig.clock.now_ms()
    rig.pool.drain()
    assert rig.failures() == [("a.txt", 1, "service unavailable")]
    due = rig.journal.next_due_ms()
    assert due is not None
    assert due >= now + int(rig.sync.retry_base_s * 1000 / 2)  # jittered in [base/2, base]
    assert due <= now + int(rig.sync.retry_base_s * 1000)
    assert rig.report.remote_unavailable
    assert [f.rel_path for f in rig.report.failed] == ["a.txt"]
    assert rig.pool.fatal is None


def test_per_job_remote_error_fails_without_unavailability(rig: Rig) -> None:
    """A PER_JOB remote error fails the job but does not say B2 is unreachable."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.client.script = [RemoteNotFoundError("no such bucket", status=404)]
    rig.pool.drain()
    assert rig.failures() == [("a.txt", 1, "no such bucket")]
    assert not rig.report.remote_unavailable


def test_fatal_error_stops_everything(rig: Rig) -> None:
    """AuthRejectedError sets pool.fatal, stops the pool, keeps the job pending, claims no more."""
    for name in ("a.txt", "b.txt", "c.txt"):
        rig.write(name)
    rig.hint("a.txt", "b.txt", "c.txt")
    error = AuthRejectedError("key refused", status=401, code="unauthorized")
    rig.client.script = [error]
    rig.pool.drain()
    assert rig.pool.fatal is error
    assert rig.report.fatal == "key refused"
    assert rig.stop.is_set()
    assert len(rig.client.uploads) == 1
    assert rig.journal.pending_count() == 3
    assert rig.journal.failures() == []  # requeued, not failed


def test_cap_exceeded_pauses_the_pool(rig: Rig) -> None:
    """CapExceededError records the pause, fails the job, and nothing is claimed for 300 s."""
    for name in ("a.txt", "b.txt"):
        rig.write(name)
    rig.hint("a.txt", "b.txt")
    rig.client.script = [CapExceededError("storage cap exceeded", status=403, code="cap_exceeded")]
    rig.pool.drain()
    assert len(rig.client.uploads) == 1
    assert rig.report.paused == ["storage cap exceeded"]
    assert rig.report.capped
    assert [n for _, n, _ in rig.failures()] == [1]
    assert rig.journal.pending_count() == 2
    assert rig.pool.fatal is None
    rig.pool.drain()  # the other row is due, but the pool is paused
    assert len(rig.client.uploads) == 1
    rig.clock.advance(300_000)
    rig.pool.drain()
    assert len(rig.client.uploads) == 3
    assert rig.journal.pending_count() == 0


def test_unrecorded_root_pauses_hides(rig: Rig, journal: Journal, clock: FakeClock) -> None:
    """A hide under a root the guard does not know is a safety stop: paused, failed, not hidden."""
    other = Rig(journal, clock, rig.folder)  # same folder, but its root identity is gone
    forget_root(journal)
    journal.put_index([index_entry("gone.txt")])
    other.hint("gone.txt", kind=ChangeKind.DELETED)
    other.pool.drain()
    assert other.client.hides == []
    assert len(other.report.paused) == 1
    assert "was never recorded" in other.report.paused[0]
    assert [f[:2] for f in other.failures()] == [("gone.txt", 1)]
    assert journal.index_get(FOLDER, RelPath("gone.txt")) is not None


def test_deleted_file_is_hidden(rig: Rig) -> None:
    """A deleted indexed file is hidden once the guards pass, and leaves the index."""
    rig.journal.put_index([index_entry(f"f{i}") for i in range(4)])
    rig.hint("f0", kind=ChangeKind.DELETED)
    rig.pool.drain()
    assert rig.client.hides == [PREFIX + "f0"]
    assert rig.journal.index_get(FOLDER, RelPath("f0")) is None


def test_a_bug_fails_the_job_and_the_worker_goes_on(rig: Rig) -> None:
    """An unexpected exception fails that job as an internal error; the next job still runs."""
    rig.write("a.txt")
    rig.write("b.txt")
    rig.hint("a.txt", "b.txt")
    rig.client.script = [RuntimeError("oops")]
    with capture_logs() as logs:  # also spares rendering the traceback
        rig.pool.drain()
    assert [e["rel_path"] for e in logs if e["event"] == "job_crashed"] == ["a.txt"]
    assert [(p, n, e.startswith("internal error")) for p, n, e in rig.failures()] == [
        ("a.txt", 1, True)
    ]
    assert rig.journal.index_get(FOLDER, RelPath("b.txt")) is not None


def test_fatal_exit_code_is_the_errors_own(rig: Rig) -> None:
    """A fatal error other than a refused key gives sync-now that error's exit code."""
    rig.write("a.txt")
    rig.hint("a.txt")
    rig.client.script = [JournalError("journal is unusable: disk I/O error")]
    rig.pool.drain()
    assert rig.pool.fatal is not None
    assert exit_code(rig.report) == rig.pool.fatal.exit_code == 74


def test_long_upload_renews_its_lease(rig: Rig) -> None:
    """While an upload reports progress past a third of lease_s, the job's lease is renewed."""
    renewed: list[int] = []
    real_renew = rig.journal.renew_lease

    def spy(job, *, worker, lease_ms):
        renewed.append(lease_ms)
        return real_renew(job, worker=worker, lease_ms=lease_ms)

    rig.journal.renew_lease = spy  # type: ignore[method-assign]
    keeper = rig.pool._runner._lease_keeper  # the hook the executor receives for uploads
    rig.write("a.txt")
    rig.hint("a.txt")
    (job,) = rig.journal.claim(worker="w0", limit=1, lease_ms=1000)
    progress = keeper(job, "w0")
    progress(10)
    assert renewed == []
    rig.clock.advance(int(rig.sync.lease_s * 1000 / 3) + 1)
    progress(10)
    assert renewed == [int(rig.sync.lease_s * 1000)]


# -- health: a busy worker is alive, a stuck one is not -------------------------------


def test_a_long_upload_that_sends_keeps_the_pool_healthy(rig: Rig) -> None:
    """An upload sending a chunk every 30 s for 5 minutes stays healthy with a 60 s window."""
    rig.write("big.bin")
    rig.hint("big.bin")
    seen: list[bool] = []

    def slow_link(progress: Callable[[int], None]) -> None:
        for _ in range(10):
            rig.clock.advance(30_000)
            progress(1 << 20)
            seen.append(rig.pool.healthy(max_age_s=60))

    rig.client.sending = slow_link
    rig.pool.drain()
    assert seen == [True] * 10
    assert rig.report.uploaded_files == 1


def test_waiting_for_b2_within_its_timeouts_is_healthy_past_the_window(rig: Rig) -> None:
    """A slow B2 answer within the network bounds is alive; past every bound it is hung."""
    rig.write("a.txt")
    rig.hint("a.txt")
    seen: list[bool] = []

    def stalled(_progress: Callable[[int], None]) -> None:
        rig.clock.advance(300_000)
        seen.append(rig.pool.healthy(max_age_s=60))
        rig.clock.advance(int(rig.sync.lease_s * 1000))
        seen.append(rig.pool.healthy(max_age_s=60))

    rig.client.sending = stalled
    rig.pool.drain()
    assert seen == [True, False]


def test_hashing_is_alive_while_it_reads_and_hung_when_a_read_stalls(
    rig: Rig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Reading a big file chunk by chunk is progress; one read stuck past the window is not."""
    rig.write("a.txt", b"x" * (3 << 20))
    rig.hint("a.txt")
    rig.pool.drain()
    entry = rig.journal.index_get(FOLDER, RelPath("a.txt"))
    assert entry is not None
    os.utime(rig.folder.path / "a.txt", ns=(entry.mtime_ns, entry.mtime_ns))  # ctime moved only
    rig.hint("a.txt")
    seen: list[bool] = []
    real_read = os.read

    def slow_read(fd: int, n: int) -> bytes:
        rig.clock.advance(50_000 if len(seen) < 3 else 61_000)  # the 4th read stalls
        seen.append(rig.pool.healthy(max_age_s=60))
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", slow_read)
    rig.pool.drain()
    monkeypatch.undo()
    assert seen == [True, True, True, False]
    rig.clock.advance(61_000)
    assert rig.pool.healthy(max_age_s=60)  # idle again: the drain is over


def forget_root(journal: Journal) -> None:
    """Drop the folder's recorded root identity, as a journal from before it was recorded."""
    conn = sqlite3.connect(journal.path, isolation_level=None)
    try:
        conn.execute("DELETE FROM folder_state")
    finally:
        conn.close()
