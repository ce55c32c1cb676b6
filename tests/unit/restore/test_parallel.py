"""Restores with several files at once: exact files, plan order, per-file failures."""

from __future__ import annotations

import hashlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from syncd.b2 import DirEntry, FileVersion
from syncd.domain import LocalState, RelPath
from syncd.engine.restore_plan import RestoreItem, RestorePlan
from syncd.engine.restore_pool import OrderedPool
from syncd.engine.restore_run import Restorer
from syncd.engine.restore_write import ANY, TargetDir
from syncd.errors import AuthRejectedError, LocalAccessError, UnsafePathError
from tests.unit.restore.helpers import write_entry

MTIME_MS = 1_600_000_000_000


def data_of(name: str) -> bytes:
    """Each file's own bytes (different lengths too)."""
    return (name * (1 + len(name) % 7)).encode()


def version(name: str, n: int) -> FileVersion:
    """The version of ``name`` with its own bytes and an mtime of its own."""
    data = data_of(name)
    return FileVersion(
        file_id=f"id-{name}",
        file_name=name,
        action="upload",
        size=len(data),
        content_sha1=hashlib.sha1(data).hexdigest(),
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=2000,
        src_last_modified_ms=MTIME_MS + n * 1001,
        file_info={},
    )


def plan_of(names: list[str]) -> RestorePlan:
    """A plan of ``names`` in the given order."""
    items = tuple(
        RestoreItem(rel_path=RelPath(name), version=version(name, n), known=frozenset())
        for n, name in enumerate(names)
    )
    return RestorePlan(items=items, refused=())


class SlowDownloader:
    """Writes each version's bytes after a short wait, counts how many run at once, and
    fails the names it was told to."""

    def __init__(self, fail: dict[str, Exception] | None = None) -> None:
        self.fail = fail or {}
        self.running = 0
        self.most = 0
        self.started: list[str] = []
        self.lock = threading.Lock()

    def download(
        self,
        version: FileVersion,
        dest: DirEntry,
        *,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Pretend to download ``version``."""
        with self.lock:
            self.running += 1
            self.most = max(self.most, self.running)
        try:
            self.started.append(version.file_name)
            time.sleep(0.002 * (hash(version.file_name) % 3))  # finish out of order
            if version.file_name in self.fail:
                raise self.fail[version.file_name]
            write_entry(dest, data_of(version.file_name))
            if on_progress is not None:
                on_progress(version.size)
        finally:
            with self.lock:
                self.running -= 1


NAMES = [f"d{n % 5}/sub/f{n:03d}" for n in range(60)]


def test_a_pool_restores_every_file_byte_and_mtime_exact_in_plan_order(tmp_path: Path) -> None:
    """60 files with 4 workers: all exact, several at once, outcome and hooks in plan order."""
    downloader = SlowDownloader()
    placed: list[str] = []
    ticks: list[tuple[str, int]] = []
    plan = plan_of(NAMES)
    with TargetDir(tmp_path / "t", write=True, sync_each=False) as target:
        out = Restorer(
            downloader,
            target,
            in_place=False,
            force=False,
            after_place=lambda item, _st: placed.append(item.rel_path),
            progress=lambda what, n: ticks.append((what, n)),
            workers=4,
        ).run(plan)
    assert out.ok
    assert downloader.most > 1
    assert [i.rel_path for i in out.restored] == NAMES
    assert placed == NAMES
    assert [t for t in ticks if t[0] == "file"] == [("file", 1)] * len(NAMES)
    assert sum(n for what, n in ticks if what == "bytes") == out.restored_bytes
    for item in plan.items:
        path = tmp_path / "t" / item.rel_path
        assert path.read_bytes() == data_of(item.rel_path)
        assert path.stat().st_mtime_ns == item.mtime_ms * 1_000_000
    assert sorted(os.listdir(tmp_path / "t")) == ["d0", "d1", "d2", "d3", "d4"]  # no staging


def test_one_bad_file_is_reported_and_the_others_arrive(tmp_path: Path) -> None:
    """A failed and a refused file are reported in plan order; every other file is restored."""
    fail: dict[str, Exception] = {
        NAMES[7]: LocalAccessError("cannot read: Permission denied"),
        NAMES[30]: UnsafePathError("not followed"),
    }
    with TargetDir(tmp_path, write=True, sync_each=False) as target:
        out = Restorer(SlowDownloader(fail), target, in_place=False, force=False, workers=4).run(
            plan_of(NAMES)
        )
    assert [n.name for n in out.failed] == [NAMES[7]]
    assert [n.name for n in out.refused] == [NAMES[30]]
    assert [i.rel_path for i in out.restored] == [n for n in NAMES if n not in fail]
    for name in NAMES:
        assert (tmp_path / name).exists() == (name not in fail)


def test_the_pool_keeps_order_and_a_bounded_window() -> None:
    """Results come in item order whatever finishes first; at most 2 x workers are taken."""
    taken: list[int] = []

    def items() -> Iterator[int]:
        for n in range(40):
            taken.append(n)
            yield n

    def step(n: int) -> int:
        time.sleep(0.001 * (n % 4))
        if n == 13:
            raise ValueError("thirteen")
        return n * n

    got: list[int | str] = []
    with OrderedPool(step, 3, name="t") as pool:
        for n, result in pool.results(items()):
            assert len(taken) <= n + 1 + 2 * 3
            try:
                got.append(result())
            except ValueError as exc:
                got.append(str(exc))
    assert got == [n * n if n != 13 else "thirteen" for n in range(40)]


class RecordingFsync:
    """Records, for every fsync, the inode synced and what ``watch`` names then."""

    def __init__(self, watch: Path) -> None:
        self.watch = watch
        self.calls: list[tuple[int, int | None]] = []

    def __call__(self, fd: int) -> None:
        """Note the inode of ``fd`` and the inode at the watched path right now."""
        now = self.watch.stat().st_ino if self.watch.exists() else None
        self.calls.append((os.fstat(fd).st_ino, now))


def stage(target: TargetDir, data: bytes) -> DirEntry:
    """A staged file holding ``data``."""
    entry = target.staging_entry()
    write_entry(entry, data)
    return entry


def test_a_replacing_file_is_fsynced_before_the_rename(tmp_path: Path) -> None:
    """Over an existing file: synced before the rename; new names: not; dirs: once at the end."""
    (tmp_path / "d").mkdir()
    old = tmp_path / "d" / "old"
    old.write_bytes(b"previous")
    old_ino = old.stat().st_ino
    fsync = RecordingFsync(old)
    with TargetDir(tmp_path, write=True, sync_each=False, fsync=fsync) as target:
        placed = target.place(stage(target, b"new"), RelPath("d/old"), 0, was=ANY)
        assert fsync.calls == [(placed.st_ino, old_ino)]  # synced, then renamed over
        target.place(stage(target, b"x"), RelPath("d/new1"), 0, was=None)
        target.place(stage(target, b"y"), RelPath("d/new2"), 0, was=None)
        assert len(fsync.calls) == 1  # new names: no file sync, no directory sync yet
        target.sync_dirs()
        dirs = {(tmp_path / "d").stat().st_ino, tmp_path.stat().st_ino}
        assert {ino for ino, _ in fsync.calls[1:]} == dirs
        assert len(fsync.calls) == 3  # each directory once
    assert old.read_bytes() == b"new"


def test_sync_each_syncs_every_file_and_its_directory(tmp_path: Path) -> None:
    """In place (an index records each file) every file and its directory are synced at once."""
    fsync = RecordingFsync(tmp_path / "f")
    with TargetDir(tmp_path, write=True, create=False, fsync=fsync) as target:
        placed = target.place(stage(target, b"abc"), RelPath("f"), 0, was=None)
        assert [ino for ino, _ in fsync.calls] == [placed.st_ino, tmp_path.stat().st_ino]
        assert fsync.calls[0][1] is None  # synced before the name existed


def test_in_place_restore_calls_after_place_on_the_calling_thread(tmp_path: Path) -> None:
    """The seam that writes the journal runs on the thread that called ``run``."""
    threads: set[int] = set()

    def after(item: RestoreItem, placed: LocalState) -> None:
        threads.add(threading.get_ident())

    with TargetDir(tmp_path, write=True, create=False) as target:
        out = Restorer(
            SlowDownloader(), target, in_place=True, force=False, after_place=after, workers=4
        ).run(plan_of(NAMES[:12]))
    assert len(out.restored) == 12
    assert threads == {threading.get_ident()}


def test_a_refused_key_stops_the_pool(tmp_path: Path) -> None:
    """A key refused on one file ends the restore: the error is raised, the rest not fetched."""
    downloader = SlowDownloader({NAMES[5]: AuthRejectedError("key refused")})
    with (
        TargetDir(tmp_path / "t", write=True, sync_each=False) as target,
        pytest.raises(AuthRejectedError),
    ):
        Restorer(downloader, target, in_place=False, force=False, workers=4).run(plan_of(NAMES))
    assert len(downloader.started) <= 6 + 2 * 4  # the window, not the whole plan
    assert [p for p in os.listdir(tmp_path / "t") if p.startswith(".")] == []  # no staging
