"""RootGuard knows a folder's root by device and marker; DeleteGuard pauses mass hides."""

from __future__ import annotations

import errno
import os
import shutil
from pathlib import Path
from typing import Any

import pytest

import syncd.engine.guard as guard_module
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, Job, LocalChange, RelPath, RootIdentity
from syncd.engine.guard import DeleteGuard, RootGuard
from syncd.engine.local import MARKER_NAME
from syncd.errors import SafetyStopError
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock
from tests.unit.engine.conftest import FOLDER, index_entry

# -- RootGuard -----------------------------------------------------------------------


def recorded(journal: Journal) -> RootIdentity:
    """The identity the guard stored for the folder."""
    identity = journal.state.root(FOLDER)
    assert identity is not None
    return identity


def test_first_use_records_device_and_writes_marker(
    journal: Journal, folder: FolderConfig, root: Path
) -> None:
    """The first establish() writes a random marker into the root and records it with the device."""
    RootGuard(folder, journal).establish()
    marker = (root / MARKER_NAME).read_text(encoding="ascii").strip()
    assert len(marker) == 32
    int(marker, 16)  # hex
    assert recorded(journal) == RootIdentity(dev=os.stat(root).st_dev, marker=marker)


def test_establish_again_keeps_the_identity(
    journal: Journal, folder: FolderConfig, root: Path
) -> None:
    """A second establish() only checks: the marker and the recorded identity stay the same."""
    guard = RootGuard(folder, journal)
    guard.establish()
    first = recorded(journal)
    guard.establish()
    assert recorded(journal) == first
    assert (root / MARKER_NAME).read_text(encoding="ascii").strip() == first.marker


def test_existing_marker_is_adopted(journal: Journal, folder: FolderConfig, root: Path) -> None:
    """A root that already carries a marker (a lost journal) keeps its id on first use."""
    (root / MARKER_NAME).write_text("feedface" * 4 + "\n", encoding="ascii")
    RootGuard(folder, journal).establish()
    assert recorded(journal).marker == "feedface" * 4


@pytest.mark.parametrize("code", [errno.EROFS, errno.EACCES, errno.EPERM])
def test_read_only_root_records_no_marker(
    journal: Journal,
    folder: FolderConfig,
    root: Path,
    monkeypatch: pytest.MonkeyPatch,
    code: int,
) -> None:
    """A root that cannot hold the marker is recorded by device only, then passes check()."""

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise OSError(code, os.strerror(code))

    monkeypatch.setattr(guard_module, "open", refuse, raising=False)
    guard = RootGuard(folder, journal)
    guard.establish()
    monkeypatch.undo()
    assert recorded(journal) == RootIdentity(dev=os.stat(root).st_dev, marker=None)
    assert not (root / MARKER_NAME).exists()
    guard.check()


def test_marker_write_failing_otherwise_stops(
    journal: Journal, folder: FolderConfig, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A marker write failing for another reason (disk full) refuses and records nothing."""

    def full(*_args: object, **_kwargs: object) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(guard_module, "open", full, raising=False)
    with pytest.raises(SafetyStopError, match="cannot hold the marker"):
        RootGuard(folder, journal).establish()
    assert journal.state.root(FOLDER) is None


def test_check_passes_for_the_recorded_root(journal: Journal, folder: FolderConfig) -> None:
    """check() is silent while the root is the one recorded."""
    guard = RootGuard(folder, journal)
    guard.establish()
    guard.check()


def _remove_root(root: Path) -> None:
    shutil.rmtree(root)


def _root_becomes_file(root: Path) -> None:
    shutil.rmtree(root)
    root.write_text("not a folder")


def _remove_marker(root: Path) -> None:
    (root / MARKER_NAME).unlink()


def _replace_marker(root: Path) -> None:
    (root / MARKER_NAME).write_text("0" * 32 + "\n", encoding="ascii")


def _unreadable_marker(root: Path) -> None:
    (root / MARKER_NAME).unlink()
    (root / MARKER_NAME).mkdir()


@pytest.mark.parametrize(
    ("change", "problem"),
    [
        (_remove_root, "cannot be reached"),
        (_root_becomes_file, "is not a directory"),
        (_remove_marker, "lost its .syncd-folder marker"),
        (_replace_marker, "lost its .syncd-folder marker"),
        (_unreadable_marker, "unreadable .syncd-folder"),
    ],
    ids=["root-missing", "not-a-dir", "marker-removed", "marker-other-id", "marker-unreadable"],
)
def test_check_refuses_a_changed_root(
    journal: Journal, folder: FolderConfig, root: Path, change: Any, problem: str
) -> None:
    """check() raises SafetyStopError naming the problem when the root is not the one recorded."""
    guard = RootGuard(folder, journal)
    guard.establish()
    change(root)
    with pytest.raises(SafetyStopError, match=problem):
        guard.check()


def test_check_refuses_another_device(journal: Journal, folder: FolderConfig, root: Path) -> None:
    """A root on another device than recorded (unmounted, replaced) is refused."""
    guard = RootGuard(folder, journal)
    guard.establish()
    identity = recorded(journal)
    journal.state.record_root(FOLDER, RootIdentity(dev=identity.dev + 1, marker=identity.marker))
    with pytest.raises(SafetyStopError, match="another device"):
        guard.check()


def test_check_refuses_another_device_seen_by_stat(
    journal: Journal, folder: FolderConfig, root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When os.stat reports another st_dev for the root than at first use, check() refuses."""
    guard = RootGuard(folder, journal)
    guard.establish()
    real_stat = os.stat

    def other_dev(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        st = real_stat(path, *args, **kwargs)
        if Path(path) != root:
            return st
        fields = list(st)
        fields[2] = st.st_dev + 1  # index 2 of the stat tuple is st_dev
        return os.stat_result(fields)

    monkeypatch.setattr(os, "stat", other_dev)
    with pytest.raises(SafetyStopError, match="another device"):
        guard.check()


def test_check_refuses_an_unrecorded_root(journal: Journal, folder: FolderConfig) -> None:
    """check() before any establish() refuses: there is nothing to compare with."""
    with pytest.raises(SafetyStopError, match="never recorded"):
        RootGuard(folder, journal).check()


def test_establish_on_a_missing_root_records_nothing(
    journal: Journal, folder: FolderConfig, root: Path
) -> None:
    """A root that is absent at first use is refused and no identity is stored."""
    root.rmdir()
    with pytest.raises(SafetyStopError, match="cannot be reached"):
        RootGuard(folder, journal).establish()
    assert journal.state.root(FOLDER) is None


# -- DeleteGuard ---------------------------------------------------------------------


def index_files(journal: Journal, count: int, start: int = 0) -> None:
    """Put ``count`` entries into the folder's index."""
    journal.put_index([index_entry(f"f{i:04}") for i in range(start, start + count)])


def pend_deletes(journal: Journal, clock: FakeClock, count: int, start: int = 0) -> None:
    """Record ``count`` deleted-path hints for the folder."""
    changes = [
        LocalChange(
            folder=FOLDER,
            rel_path=RelPath(f"f{i:04}"),
            kind=ChangeKind.DELETED,
            observed_ms=clock.now_ms(),
        )
        for i in range(start, start + count)
    ]
    journal.record(changes, settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)


def hide_all_through(guard: DeleteGuard, journal: Journal) -> None:
    """Run every pending hide the way the worker does: ask the guard, then complete."""
    while jobs := journal.claim(worker="w", limit=1, lease_ms=60_000):
        guard.allow(FOLDER)
        journal.complete(jobs[0], index=None, remove_index=True)


def finish_pending(journal: Journal) -> None:
    """Claim and complete every pending row, dropping its index entry (the hides ran)."""
    while jobs := journal.claim(worker="w", limit=100, lease_ms=60_000):
        for job in jobs:
            journal.complete(job, index=None, remove_index=True)


@pytest.mark.parametrize(
    ("indexed", "ratio", "count", "limit"),
    [
        (10, 0.5, 1000, 5),
        (11, 0.5, 1000, 5),  # floor
        (100, 0.5, 20, 20),  # the count caps a big folder
        (100, 0.1, 1000, 10),
        (100, 1.0, 30, 30),
        (0, 0.5, 1000, 1),  # one delete alone is never a mass delete
        (3, 0.5, 1000, 1),
        (4, 0.5, 1000, 2),
        (10, 0.5, 0, 0),  # mass_delete_count = 0: every delete waits for approval
    ],
)
def test_limit_is_the_smaller_of_count_and_ratio(
    journal: Journal, indexed: int, ratio: float, count: int, limit: int
) -> None:
    """limit() is min(mass_delete_count, max(1, floor(ratio x indexed files)))."""
    index_files(journal, indexed)
    guard = DeleteGuard(journal, SyncConfig(mass_delete_ratio=ratio, mass_delete_count=count))
    assert guard.limit(FOLDER) == limit


@pytest.mark.parametrize("pending", [0, 1, 5])
def test_deletes_up_to_the_limit_pass(journal: Journal, clock: FakeClock, pending: int) -> None:
    """With pending deletes at or below the limit (5 of 10), allow() passes and pauses nothing."""
    index_files(journal, 10)
    pend_deletes(journal, clock, pending)
    DeleteGuard(journal, SyncConfig(mass_delete_ratio=0.5)).allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 0


def test_no_pending_delete_passes_an_empty_index(journal: Journal) -> None:
    """allow() passes when nothing is pending, even though the limit of an empty index is 0."""
    DeleteGuard(journal, SyncConfig()).allow(FOLDER)


def test_deletes_above_the_limit_pause(journal: Journal, clock: FakeClock) -> None:
    """6 pending deletes of 10 indexed files (limit 5) raise SafetyStopError, pause recorded."""
    index_files(journal, 10)
    pend_deletes(journal, clock, 6)
    guard = DeleteGuard(journal, SyncConfig(mass_delete_ratio=0.5))
    with pytest.raises(SafetyStopError, match=r"6 files would be hidden \(limit 5\)"):
        guard.allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 6
    with pytest.raises(SafetyStopError):  # stays paused, same record
        guard.allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 6


def test_approve_lets_exactly_the_pending_count_through(journal: Journal, clock: FakeClock) -> None:
    """approve() returns the pending count and clears the pause; one more delete pauses again."""
    index_files(journal, 10)
    pend_deletes(journal, clock, 6)
    guard = DeleteGuard(journal, SyncConfig(mass_delete_ratio=0.5))
    with pytest.raises(SafetyStopError):
        guard.allow(FOLDER)
    assert guard.approve(FOLDER) == 6
    assert journal.state.approved_deletes(FOLDER) == 6
    assert journal.state.paused_deletes(FOLDER) == 0
    guard.allow(FOLDER)
    pend_deletes(journal, clock, 1, start=6)
    with pytest.raises(SafetyStopError, match="7 files would be hidden"):
        guard.allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 7


def test_an_approval_does_not_cover_a_later_mass_delete(journal: Journal, clock: FakeClock) -> None:
    """After approved deletes ran, a new mass delete above the limit pauses again."""
    guard = DeleteGuard(journal, SyncConfig(mass_delete_ratio=0.5))
    index_files(journal, 10)
    pend_deletes(journal, clock, 8)
    assert guard.approve(FOLDER) == 8
    hide_all_through(guard, journal)  # the 8 hides ran, each asking first; 2 files remain
    index_files(journal, 10, start=100)  # months later: 12 indexed files, limit 6
    pend_deletes(journal, clock, 7, start=100)  # 7 > 6 deletes, never approved
    with pytest.raises(SafetyStopError):
        guard.allow(FOLDER)


class RacingJournal:
    """The journal as the guard sees it while another worker runs: right after the
    guard's first read, the other worker's hide completes (index -1, pending -1)."""

    def __init__(self, journal: Journal, other_job: Job) -> None:
        self._journal = journal
        self._other: Job | None = other_job

    def __getattr__(self, name: str) -> Any:
        method = getattr(self._journal, name)
        if not callable(method):  # journal.state: the guard's writes, not a racing read
            return method

        def call(*args: Any, **kwargs: Any) -> Any:
            result = method(*args, **kwargs)
            if self._other is not None:
                job, self._other = self._other, None
                self._journal.complete(job, index=None, remove_index=True)
            return result

        return call


def test_a_hide_finishing_during_the_check_does_not_trip_the_guard(
    journal: Journal, clock: FakeClock
) -> None:
    """A hide finishing between the guard's reads does not make 3 of 6 look like 3 of 5."""
    index_files(journal, 6)
    pend_deletes(journal, clock, 3)
    mine, other = journal.claim(worker="w", limit=2, lease_ms=60_000)
    guard = DeleteGuard(RacingJournal(journal, other), SyncConfig(mass_delete_ratio=0.5))  # type: ignore[arg-type]
    guard.allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 0
    journal.complete(mine, index=None, remove_index=True)


def test_deletes_of_paths_never_uploaded_do_not_count(journal: Journal, clock: FakeClock) -> None:
    """Delete hints for paths that are not indexed (temp files) hide nothing: not counted."""
    index_files(journal, 10)
    pend_deletes(journal, clock, 5)
    pend_deletes(journal, clock, 4, start=500)  # created and deleted between scans
    DeleteGuard(journal, SyncConfig(mass_delete_ratio=0.5)).allow(FOLDER)
    assert journal.state.paused_deletes(FOLDER) == 0
