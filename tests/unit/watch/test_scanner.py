"""The scanner: path-byte order, special files, symlinks, unreadable directories,
filters, markers and subtree scans, on real temporary trees."""

from __future__ import annotations

import errno
import os
import random
import socket
import stat
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.config import FolderConfig
from syncd.domain import LocalState, RelPath, SkippedItem, rel_path_key, stamp_of
from syncd.watch.scanner import Scanner, Unseen

FolderFactory = Callable[..., FolderConfig]


def touch(root: Path, *rel_paths: str, data: bytes = b"x") -> None:
    """Create files (and their parent directories) under ``root``."""
    for rel in rel_paths:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)


def files(scanner: Scanner, under: str | None = None) -> list[str]:
    """The rel paths of the regular files a scan yields, in yield order."""
    return [
        e.rel_path
        for e in scanner.scan(RelPath(under) if under else None)
        if isinstance(e, LocalState)
    ]


def skipped(scanner: Scanner, under: str | None = None) -> dict[str, str]:
    """rel path -> reason for every SkippedItem a scan yields."""
    return {
        e.rel_path: e.reason
        for e in scanner.scan(RelPath(under) if under else None)
        if isinstance(e, SkippedItem)
    }


def test_yields_global_byte_order(root: Path, folder: FolderFactory) -> None:
    """Directories sort as name + '/', so a-b < a.txt < a/b < a0 comes out in byte order."""
    names = ["a.txt", "a/b", "a-b", "a0", "a/b.c/d", "a/b-c", "A", "\u00e9", "z/\u00e9/x", "a/a"]
    touch(root, *names)
    got = files(Scanner(folder()))
    assert got == sorted(names, key=rel_path_key)
    assert got[:4] == ["A", "a-b", "a.txt", "a/a"]


@pytest.mark.parametrize("seed", range(5))
def test_random_trees_come_out_sorted(root: Path, folder: FolderFactory, seed: int) -> None:
    """For random trees over a tricky alphabet, the yield order equals the sorted order."""
    rng = random.Random(seed)
    alphabet = ["a", "-", ".", "0", "~", "\u00e9", " ", "B"]
    made: set[str] = set()
    for _ in range(60):
        parts = [
            "".join(rng.choices(alphabet, k=rng.randint(1, 3))) for _ in range(rng.randint(1, 3))
        ]
        parts = [p if p not in (".", "..") else p + "x" for p in parts]
        rel = "/".join(parts)
        if any(rel.startswith(m + "/") or m.startswith(rel + "/") or m == rel for m in made):
            continue
        touch(root, rel)
        made.add(rel)
    assert files(Scanner(folder())) == sorted(made, key=rel_path_key)


def test_file_states_come_from_lstat(root: Path, folder: FolderFactory) -> None:
    """Each LocalState carries size, mtime_ns, ctime_ns, dev and inode of the file."""
    touch(root, "f", data=b"12345")
    os.utime(root / "f", ns=(1, 1_700_000_000_123_456_789))
    (state,) = list(Scanner(folder()).scan())
    st = os.lstat(root / "f")
    assert isinstance(state, LocalState)
    assert (state.size, state.mtime_ns, state.ctime_ns, state.dev, state.inode) == (
        5,
        1_700_000_000_123_456_789,
        st.st_ctime_ns,
        st.st_dev,
        st.st_ino,
    )


def test_stamps_are_the_file_states_of_scan(root: Path, folder: FolderFactory) -> None:
    """scan_stamps yields what scan yields, in order, each file as its lstat stamp."""
    touch(root, "a/x", "a/y/z", "a-b", "a0", "b.tmp", "big", data=b"123")
    touch(root, "small", data=b"1")
    os.mkfifo(root / "a" / "fifo")
    os.symlink("a", root / "link")
    scanner = Scanner(folder(exclude=("*.tmp",), max_size_bytes=2))
    for under in (None, RelPath("a"), RelPath("a/x"), RelPath("link")):
        stamps = list(scanner.scan_stamps(under))
        states = list(scanner.scan(under))
        assert [LocalState.from_stamp(s) if isinstance(s, tuple) else s for s in stamps] == states
        for st in stamps:
            if isinstance(st, tuple):
                assert st == stamp_of(st[0], os.lstat(os.fsencode(root) + b"/" + st[0]))
    assert [e.rel_path for e in scanner.scan()] == ["a-b", "a/fifo", "a/x", "a/y/z", "a0",
                                                    "big", "link", "small"]  # fmt: skip


def test_special_files_are_skipped_without_being_opened(root: Path, folder: FolderFactory) -> None:
    """A FIFO and a socket are reported as skipped; the scan never blocks on them."""
    os.mkfifo(root / "fifo")
    sock = socket.socket(socket.AF_UNIX)
    sock.bind(str(root / "sock"))
    touch(root, "plain")
    try:
        scanner = Scanner(folder())
        assert skipped(scanner) == {
            "fifo": "not a regular file (FIFO, socket or device)",
            "sock": "not a regular file (FIFO, socket or device)",
        }
        assert files(scanner) == ["plain"]
    finally:
        sock.close()


def test_device_node_is_skipped(root: Path, folder: FolderFactory) -> None:
    """A character device (a copy of the zero device) is skipped, never read."""
    try:
        os.mknod(root / "zero", stat.S_IFCHR | 0o600, os.makedev(1, 5))
    except PermissionError:
        pytest.skip("creating device nodes needs CAP_MKNOD")
    assert skipped(Scanner(folder())) == {"zero": "not a regular file (FIFO, socket or device)"}


def test_symlinks_are_skipped_by_default(root: Path, folder: FolderFactory, tmp_path: Path) -> None:
    """Links to files, to directories and to the outside are reported, not followed."""
    touch(root, "d/f", "f")
    (tmp_path / "outside").write_text("x")
    os.symlink("f", root / "lf")
    os.symlink("d", root / "ld")
    os.symlink(tmp_path / "outside", root / "lo")
    scanner = Scanner(folder())
    assert files(scanner) == ["d/f", "f"]
    assert set(skipped(scanner)) == {"lf", "ld", "lo"}


def test_followed_symlinks_stay_inside_the_root(
    root: Path, folder: FolderFactory, tmp_path: Path
) -> None:
    """With follow_symlinks, inside links are walked, outside and looping ones skipped."""
    touch(root, "d/f", "f")
    (tmp_path / "outside").write_text("x")
    os.symlink("f", root / "lf")
    os.symlink("d", root / "ld")
    os.symlink(tmp_path / "outside", root / "lo")
    os.symlink(".", root / "d" / "loop")
    scanner = Scanner(folder(follow_symlinks=True))
    assert files(scanner) == ["d/f", "f", "ld/f", "lf"]
    reasons = skipped(scanner)
    assert reasons["lo"] == "symbolic link to a place outside the folder"
    assert reasons["d/loop"] == "directory loop (the same directory is above it)"
    assert reasons["ld/loop"] == "directory loop (the same directory is above it)"


def test_unreadable_directory_is_skipped_and_unseen(
    root: Path, folder: FolderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A directory that cannot be listed is reported and everything below it is unseen."""
    touch(root, "ok/f", "locked/f")
    locked = os.fsencode(root / "locked")
    real_scandir = os.scandir

    def scandir(path: bytes) -> object:
        if path == locked:
            raise PermissionError(errno.EACCES, "Permission denied")
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    scanner = Scanner(folder())
    entries = list(scanner.scan())
    assert [e.rel_path for e in entries if isinstance(e, LocalState)] == ["ok/f"]
    assert entries[0] == SkippedItem(
        folder="docs",
        rel_path=RelPath("locked"),
        reason="directory cannot be read: Permission denied",
    )
    assert "locked/f" in scanner.unreadable
    assert "locked/deep/g" in scanner.unreadable
    assert "ok/f" not in scanner.unreadable
    assert "lockedx" not in scanner.unreadable


def test_stat_failure_is_unseen_not_gone(
    root: Path, folder: FolderFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file that cannot be stat'ed (EIO) is reported and kept unseen."""
    touch(root, "bad", "good")
    bad = os.fsencode(root / "bad")
    real_lstat = os.lstat

    def lstat(path: bytes) -> os.stat_result:
        if path == bad:
            raise OSError(errno.EIO, "Input/output error")
        return real_lstat(path)

    monkeypatch.setattr(os, "lstat", lstat)
    scanner = Scanner(folder())
    assert skipped(scanner) == {"bad": "cannot be looked at: Input/output error"}
    assert "bad" in scanner.unreadable


def test_missing_root_is_never_empty(tmp_path: Path, folder: FolderFactory) -> None:
    """A missing root yields one SkippedItem and makes every path unseen."""
    scanner = Scanner(folder(path=tmp_path / "gone"))
    (item,) = list(scanner.scan())
    assert isinstance(item, SkippedItem)
    assert item.rel_path == ""
    assert "any/thing" in scanner.unreadable


def test_root_that_is_a_file_is_never_empty(tmp_path: Path, folder: FolderFactory) -> None:
    """A root replaced by a file is reported, and nothing counts as deleted."""
    (tmp_path / "f").write_text("x")
    scanner = Scanner(folder(path=tmp_path / "f"))
    assert skipped(scanner) == {"": "folder root is not a directory"}
    assert "x" in scanner.unreadable


def test_excluded_paths_are_silent_and_unseen(root: Path, folder: FolderFactory) -> None:
    """Pattern-excluded files and directories are neither yielded nor reported."""
    touch(root, "a.tmp", "keep.tmp", "build/x.o", "src/a.c", "src/cache/c")
    scanner = Scanner(folder(exclude=("*.tmp", "!keep.tmp", "build/", "**/cache/**")))
    assert [str(e.rel_path) for e in scanner.scan()] == ["keep.tmp", "src/a.c"]
    assert all(p in scanner.unreadable for p in ("a.tmp", "build/x.o", "src/cache/c"))
    assert "src/a.c" not in scanner.unreadable


def test_marker_skips_the_directory_and_everything_below(root: Path, folder: FolderFactory) -> None:
    """A directory holding the exclude_if_present marker is skipped silently, with its subtree."""
    touch(root, "a/f", "a/.nobackup", "a/sub/g", "b/f")
    scanner = Scanner(folder())
    assert [str(e.rel_path) for e in scanner.scan()] == ["b/f"]
    assert "a/sub/g" in scanner.unreadable


def test_too_large_files_are_skipped_and_unseen(root: Path, folder: FolderFactory) -> None:
    """Files over max_size_bytes are reported and kept unseen (not deleted)."""
    touch(root, "big", data=b"x" * 11)
    touch(root, "small", data=b"x" * 10)
    scanner = Scanner(folder(max_size_bytes=10))
    assert skipped(scanner) == {"big": "larger than max_size_bytes (11 bytes)"}
    assert files(scanner) == ["small"]
    assert "big" in scanner.unreadable


def test_undecodable_names_keep_their_bytes(root: Path, folder: FolderFactory) -> None:
    """A name that is not UTF-8 comes out with surrogate escapes and encodes back exactly."""
    raw = os.fsencode(root) + b"/caf\xe9\xff"
    with open(raw, "wb") as fh:
        fh.write(b"x")
    (rel,) = files(Scanner(folder()))
    assert os.fsencode(rel) == b"caf\xe9\xff"


def test_subtree_scan_yields_only_below(root: Path, folder: FolderFactory) -> None:
    """scan(under) yields the subtree in order and nothing from siblings like a-b or a0."""
    touch(root, "a/x", "a/y/z", "a-b", "a0", "b")
    scanner = Scanner(folder())
    assert files(scanner, "a") == ["a/x", "a/y/z"]
    assert files(scanner, "a/y") == ["a/y/z"]
    assert files(scanner, "a/x") == ["a/x"]


def test_subtree_scan_of_missing_path_is_empty_and_seen(root: Path, folder: FolderFactory) -> None:
    """A missing subtree really is gone: nothing yielded and nothing unseen."""
    touch(root, "a/x")
    scanner = Scanner(folder())
    assert list(scanner.scan(RelPath("gone/deeper"))) == []
    assert "gone/deeper/x" not in scanner.unreadable


def test_subtree_scan_respects_markers_filters_and_links(root: Path, folder: FolderFactory) -> None:
    """scan(under) refuses to go below a marker, an excluded directory or a symlink."""
    touch(root, "m/.nobackup", "m/s/f", "build/s/f", "real/f")
    os.symlink("real", root / "link")
    scanner = Scanner(folder(exclude=("build/",)))
    assert list(scanner.scan(RelPath("m/s"))) == []
    assert "m/s/f" in scanner.unreadable
    assert list(scanner.scan(RelPath("build/s"))) == []
    assert "build/s/f" in scanner.unreadable
    assert files(scanner, "link") == []
    assert files(scanner, "link/f") == []


def test_subtree_scan_rejects_escaping_paths(folder: FolderFactory) -> None:
    """'..', '.' and empty segments are refused before any I/O."""
    for bad in ("../x", "a/./b", "a//b", "/abs"):
        with pytest.raises(ValueError, match="not a relative path"):
            Scanner(folder()).scan(RelPath(bad))


def test_scan_is_lazy(root: Path, folder: FolderFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """The first file comes out after listing only the directories above it."""
    touch(root, *(f"d{i}/f" for i in range(20)))
    listed: list[bytes] = []
    real_scandir = os.scandir

    def scandir(path: bytes) -> object:
        listed.append(path)
        return real_scandir(path)

    monkeypatch.setattr(os, "scandir", scandir)
    first = next(Scanner(folder()).scan())
    assert isinstance(first, LocalState)
    assert first.rel_path == "d0/f"
    assert len(listed) == 2


def test_unseen_answers_by_ancestor() -> None:
    """Unseen covers a directory's descendants, exact files, and '' covers all."""
    unseen = Unseen()
    unseen.add_dir("a/b")
    unseen.add_file("c")
    assert "a/b" in unseen
    assert "a/b/c/d" in unseen
    assert "a/bc" not in unseen
    assert "c" in unseen
    assert "c/d" not in unseen
    assert 3 not in unseen
    unseen.add_dir("")
    assert "anything" in unseen
