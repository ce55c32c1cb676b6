"""The restore writer: by directory descriptors, never through a symlink."""

from __future__ import annotations

import errno
import os
import threading
from pathlib import Path

import pytest

from syncd.b2 import DirEntry
from syncd.domain import RelPath
from syncd.engine.restore_staging import STAGING_MARKER, STAGING_PREFIX
from syncd.engine.restore_write import TargetDir
from syncd.errors import LocalAccessError, UnsafePathError
from tests.unit.restore.helpers import write_entry


def stage(target: TargetDir, data: bytes) -> DirEntry:
    """A staged file with ``data``, as a download leaves it."""
    staged = target.staging_entry()
    write_entry(staged, data)
    return staged


def test_place_creates_directories_and_sets_mtime(tmp_path: Path) -> None:
    """A placed file lands at its path with the given mtime; staging is removed on close."""
    root = tmp_path / "t"
    with TargetDir(root, write=True) as target:
        st = target.place(stage(target, b"abc"), RelPath("a/b/c.txt"), 1_600_000_000_123_000_000)
        assert st.st_size == 3
    assert (root / "a" / "b" / "c.txt").read_bytes() == b"abc"
    assert (root / "a" / "b" / "c.txt").stat().st_mtime_ns == 1_600_000_000_123_000_000
    assert not [p for p in os.listdir(root) if p.startswith(STAGING_PREFIX)]


def test_symlinked_directory_is_refused(tmp_path: Path) -> None:
    """A symlink inside the target is never followed, for reading or writing."""
    outside = tmp_path / "outside"
    outside.mkdir()
    root = tmp_path / "t"
    root.mkdir()
    os.symlink(outside, root / "link")
    with TargetDir(root, write=True) as target:
        with pytest.raises(UnsafePathError):
            target.existing(RelPath("link/x"))
        with pytest.raises(UnsafePathError):
            target.place(stage(target, b"evil"), RelPath("link/x"), 0)
    assert os.listdir(outside) == []


def test_final_symlink_is_replaced_not_followed(tmp_path: Path) -> None:
    """A symlink at the file's own name is replaced by the file; its target is untouched."""
    victim = tmp_path / "victim"
    victim.write_bytes(b"keep me")
    root = tmp_path / "t"
    root.mkdir()
    os.symlink(victim, root / "f")
    with TargetDir(root, write=True) as target:
        existing = target.existing(RelPath("f"))
        assert existing is not None
        assert not existing.is_file
        target.place(stage(target, b"new"), RelPath("f"), 0)
    assert victim.read_bytes() == b"keep me"
    assert not (root / "f").is_symlink()
    assert (root / "f").read_bytes() == b"new"


def test_dry_run_on_a_missing_root_creates_nothing(tmp_path: Path) -> None:
    """A dry run reads a missing target as empty and creates nothing."""
    root = tmp_path / "absent"
    with TargetDir(root, write=False) as target:
        assert target.existing(RelPath("a/b")) is None
    assert not root.exists()


def test_sha1_of_existing_file(tmp_path: Path) -> None:
    """The SHA-1 of a file in the target is read without following symlinks."""
    root = tmp_path / "t"
    (root / "d").mkdir(parents=True)
    (root / "d" / "f").write_bytes(b"abc")
    with TargetDir(root, write=False) as target:
        assert target.sha1(RelPath("d/f")) == "a9993e364706816aba3e25717850c26c9cd0d89d"


def test_in_place_root_must_exist(tmp_path: Path) -> None:
    """A synced folder that is gone is never recreated by a restore."""
    with pytest.raises(LocalAccessError, match="does not exist"):
        TargetDir(tmp_path / "gone", write=True, create=False)
    assert not (tmp_path / "gone").exists()


def test_replaced_file_keeps_its_mode_without_special_bits(tmp_path: Path) -> None:
    """An executable stays executable; setuid is never carried over."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "run.sh").write_bytes(b"old")
    os.chmod(root / "run.sh", 0o4755)
    with TargetDir(root, write=True) as target:
        target.place(stage(target, b"new"), RelPath("run.sh"), 0)
    assert (root / "run.sh").stat().st_mode & 0o7777 == 0o755


def test_in_place_sweeps_staging_left_by_a_killed_restore(tmp_path: Path) -> None:
    """A staging directory a killed restore left in the folder is removed on the next one."""
    (tmp_path / f"{STAGING_PREFIX}dead" / "sub").mkdir(parents=True)
    (tmp_path / f"{STAGING_PREFIX}dead" / "f1").write_bytes(b"partial")
    (tmp_path / f"{STAGING_PREFIX}dead" / STAGING_MARKER).write_bytes(b"")
    with TargetDir(tmp_path, write=True, create=False):
        pass
    assert os.listdir(tmp_path) == []


def test_sweep_keeps_a_user_directory_without_the_marker(tmp_path: Path) -> None:
    """A user's own .syncd-restore-* directory (no marker, or a symlinked one) is kept."""
    mine = tmp_path / f"{STAGING_PREFIX}my-notes"
    mine.mkdir()
    (mine / "notes.txt").write_bytes(b"keep")
    linked = tmp_path / f"{STAGING_PREFIX}linked"
    linked.mkdir()
    (linked / "data").write_bytes(b"keep too")
    os.symlink(tmp_path / "elsewhere", linked / STAGING_MARKER)
    with TargetDir(tmp_path, write=True, create=False):
        pass
    assert (mine / "notes.txt").read_bytes() == b"keep"
    assert (linked / "data").read_bytes() == b"keep too"


@pytest.mark.parametrize("planted", ["root", "parent"])
def test_symlinked_target_root_is_refused(tmp_path: Path, planted: str) -> None:
    """A symlink at the target (or at the --to directory above it) is never followed."""
    outside = tmp_path / "outside"
    outside.mkdir()
    to = tmp_path / "to"
    if planted == "parent":
        os.symlink(outside, to)
    else:
        to.mkdir()
        os.symlink(outside, to / "folder")
    with pytest.raises(UnsafePathError, match="not followed"):
        TargetDir(to / "folder", write=True)
    assert os.listdir(outside) == []


def test_target_under_a_file_is_a_local_access_error(tmp_path: Path) -> None:
    """A target below a regular file is one clean error, not a traceback."""
    (tmp_path / "afile").write_text("x")
    with pytest.raises(LocalAccessError):
        TargetDir(tmp_path / "afile" / "sub" / "folder", write=True)


def test_sha1_of_a_fifo_fails_without_waiting(tmp_path: Path) -> None:
    """A FIFO swapped in where a file was is refused at once, never read (no hang)."""
    os.mkfifo(tmp_path / "f")
    errors: list[BaseException] = []

    def check() -> None:
        with TargetDir(tmp_path, write=False) as target:
            try:
                target.sha1(RelPath("f"))
            except LocalAccessError as exc:
                errors.append(exc)

    worker = threading.Thread(target=check, daemon=True)
    worker.start()
    worker.join(timeout=5)
    if worker.is_alive():  # unblock the open so the thread can end, then fail
        os.close(os.open(tmp_path / "f", os.O_WRONLY | os.O_NONBLOCK))
        worker.join(timeout=5)
        pytest.fail("sha1() blocked on a FIFO")
    assert [str(e) for e in errors] == ["not a regular file"]


def test_replaced_file_never_passes_on_group_or_other_write(tmp_path: Path) -> None:
    """A planted 0666 file is replaced by a 0644 one; a new file is at most 0644."""
    root = tmp_path / "t"
    root.mkdir()
    (root / "planted").write_bytes(b"old")
    os.chmod(root / "planted", 0o666)
    (root / "tool").write_bytes(b"old")
    os.chmod(root / "tool", 0o777)
    old_mask = os.umask(0)
    try:
        with TargetDir(root, write=True) as target:
            target.place(stage(target, b"new"), RelPath("planted"), 0)
            target.place(stage(target, b"new"), RelPath("tool"), 0)
            target.place(stage(target, b"new"), RelPath("fresh"), 0)
    finally:
        os.umask(old_mask)
    assert (root / "planted").stat().st_mode & 0o7777 == 0o644
    assert (root / "tool").stat().st_mode & 0o7777 == 0o755
    assert (root / "fresh").stat().st_mode & 0o7777 == 0o644


def test_failed_staging_setup_is_one_error_and_leaves_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """If the staging directory cannot be finished, the error names the root; no debris."""
    real_open = os.open

    def refusing_open(path: object, *args: object, **kwargs: object) -> int:
        if path == STAGING_MARKER:
            raise OSError(errno.EROFS, "Read-only file system")
        return real_open(path, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "open", refusing_open)
    with pytest.raises(LocalAccessError, match="cannot make a staging directory"):
        TargetDir(tmp_path, write=True, create=False)
    monkeypatch.undo()
    assert os.listdir(tmp_path) == []
