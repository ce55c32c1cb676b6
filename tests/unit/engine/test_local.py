"""stat_file never follows links and never opens specials; hash_file only returns the
sha1 of a file that held still while it was read."""

from __future__ import annotations

import errno
import hashlib
import os
import socket
from pathlib import Path
from typing import Any

import pytest

import syncd.engine.local as local_module
from syncd.domain import LocalState, RelPath
from syncd.engine.local import hash_file, stat_file
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, SpecialFileError


def write(root: Path, rel_path: str, data: bytes = b"hello\n") -> LocalState:
    """Create a file under ``root`` with a fixed mtime; return its state."""
    path = root / rel_path
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    os.utime(path, ns=(1_600_000_000_123_456_789, 1_600_000_000_123_456_789))
    return LocalState.from_stat(RelPath(rel_path), os.lstat(path))


# -- stat_file -----------------------------------------------------------------------


def test_stat_regular_file(root: Path) -> None:
    """A regular file gives its size, mtime, ctime, device and inode."""
    write(root, "d/a.txt", b"12345")
    st = os.lstat(root / "d/a.txt")
    state = stat_file(root, RelPath("d/a.txt"))
    assert state == LocalState(
        rel_path=RelPath("d/a.txt"),
        size=5,
        mtime_ns=1_600_000_000_123_456_789,
        ctime_ns=st.st_ctime_ns,
        dev=st.st_dev,
        inode=st.st_ino,
    )
    assert state.mtime_ms == 1_600_000_000_123


def _nothing(root: Path) -> None:
    pass


def _directory(root: Path) -> None:
    (root / "x").mkdir()


def _symlink_to_file(root: Path) -> None:
    write(root, "target.txt")
    (root / "x").symlink_to("target.txt")


def _dangling_symlink(root: Path) -> None:
    (root / "x").symlink_to("nowhere")


def _symlink_to_dir(root: Path) -> None:
    (root / "dir").mkdir()
    (root / "x").symlink_to("dir")


@pytest.mark.parametrize(
    "make", [_nothing, _directory, _symlink_to_file, _dangling_symlink, _symlink_to_dir]
)
def test_nothing_syncable_is_none(root: Path, make: Any) -> None:
    """Absent paths, directories and symlinks (to anything) give None."""
    make(root)
    assert stat_file(root, RelPath("x")) is None


def test_a_file_parent_is_absent_not_an_error(root: Path) -> None:
    """ENOTDIR (a path below a regular file) means absent."""
    write(root, "file")
    assert stat_file(root, RelPath("file/below")) is None


def test_fifo_is_special(root: Path) -> None:
    """A FIFO raises SpecialFileError carrying its path."""
    os.mkfifo(root / "pipe")
    with pytest.raises(SpecialFileError) as caught:
        stat_file(root, RelPath("pipe"))
    assert caught.value.rel_path == "pipe"


def test_socket_is_special(root: Path) -> None:
    """A Unix socket raises SpecialFileError."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.bind(str(root / "s"))
        with pytest.raises(SpecialFileError):
            stat_file(root, RelPath("s"))


@pytest.mark.parametrize("code", [errno.EACCES, errno.EIO, errno.ENAMETOOLONG])
def test_unreadable_is_an_access_error_not_absent(
    root: Path, monkeypatch: pytest.MonkeyPatch, code: int
) -> None:
    """lstat failing other than ENOENT/ENOTDIR is LocalAccessError; ELOOP is absent."""
    write(root, "locked/a.txt")
    real_lstat = os.lstat

    def refuse(path: Any, *args: Any, **kwargs: Any) -> os.stat_result:
        if str(path).startswith(str(root)):
            raise OSError(code, os.strerror(code), str(path))
        return real_lstat(path, *args, **kwargs)

    monkeypatch.setattr(os, "lstat", refuse)
    with pytest.raises(LocalAccessError, match="cannot stat") as caught:
        stat_file(root, RelPath("locked/a.txt"))
    assert caught.value.rel_path == "locked/a.txt"
    assert isinstance(caught.value.__cause__, OSError)


def test_permission_error_is_an_access_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A PermissionError from lstat (EACCES on a parent directory) is LocalAccessError."""

    def refuse(path: Any, *_args: Any, **_kwargs: Any) -> os.stat_result:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "lstat", refuse)
    with pytest.raises(LocalAccessError, match="Permission denied"):
        stat_file(root, RelPath("locked/a.txt"))


# -- hash_file -----------------------------------------------------------------------


@pytest.mark.parametrize("data", [b"", b"hello\n", bytes(range(256)) * 5])
def test_hash_is_the_sha1_of_the_bytes(
    root: Path, monkeypatch: pytest.MonkeyPatch, data: bytes
) -> None:
    """hash_file returns the sha1 hex of the content, across many read chunks."""
    monkeypatch.setattr(local_module, "CHUNK_BYTES", 7)
    state = write(root, "a.bin", data)
    assert hash_file(root, state) == hashlib.sha1(data).hexdigest()


def test_vanished_file(root: Path) -> None:
    """A file gone before it is opened raises FileVanishedError."""
    state = write(root, "a.txt")
    (root / "a.txt").unlink()
    with pytest.raises(FileVanishedError) as caught:
        hash_file(root, state)
    assert caught.value.rel_path == "a.txt"


def test_vanished_parent(root: Path) -> None:
    """A file whose parent became a regular file raises FileVanishedError (ENOTDIR)."""
    state = write(root, "d/a.txt")
    (root / "d/a.txt").unlink()
    (root / "d").rmdir()
    (root / "d").write_text("now a file")
    with pytest.raises(FileVanishedError):
        hash_file(root, state)


@pytest.mark.parametrize(
    "field", ["size", "mtime_ns", "ctime_ns", "dev", "inode"], ids=lambda f: f"other-{f}"
)
def test_changed_identity_before_read(root: Path, field: str) -> None:
    """A file whose (dev, inode, size, mtime, ctime) is not ``expected`` raises FileChangedError."""
    state = write(root, "a.txt")
    values = {
        "size": state.size,
        "mtime_ns": state.mtime_ns,
        "ctime_ns": state.ctime_ns,
        "dev": state.dev,
        "inode": state.inode,
    }
    values[field] += 1
    expected = LocalState(rel_path=state.rel_path, **values)
    with pytest.raises(FileChangedError, match="changed before"):
        hash_file(root, expected)


def test_changed_while_read(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file that grows while it is read raises FileChangedError."""
    state = write(root, "a.txt", b"x" * 100)
    real_read = os.read
    grown = False

    def read_and_grow(fd: int, n: int) -> bytes:
        nonlocal grown
        if not grown:
            grown = True
            with (root / "a.txt").open("ab") as out:
                out.write(b"more")
        return real_read(fd, n)

    monkeypatch.setattr(os, "read", read_and_grow)
    with pytest.raises(FileChangedError, match="while it was read"):
        hash_file(root, state)


def test_symlink_is_not_followed(root: Path) -> None:
    """A path that became a symlink raises FileChangedError (O_NOFOLLOW), even to the same file."""
    state = write(root, "target.txt")
    (root / "link").symlink_to("target.txt")
    expected = LocalState(
        rel_path=RelPath("link"),
        size=state.size,
        mtime_ns=state.mtime_ns,
        ctime_ns=state.ctime_ns,
        dev=state.dev,
        inode=state.inode,
    )
    with pytest.raises(FileChangedError, match="symlink"):
        hash_file(root, expected)


@pytest.mark.timeout(5)
def test_fifo_never_blocks(root: Path) -> None:
    """A FIFO with no writer (it replaced the file) raises FileChangedError at once, never hangs."""
    state = write(root, "a.txt")
    (root / "a.txt").unlink()
    os.mkfifo(root / "a.txt")
    with pytest.raises(FileChangedError, match="no longer a regular file"):
        hash_file(root, state)


def test_directory_is_not_a_file(root: Path) -> None:
    """A file replaced by a directory raises FileChangedError."""
    state = write(root, "a.txt")
    (root / "a.txt").unlink()
    (root / "a.txt").mkdir()
    with pytest.raises(FileChangedError, match="no longer a regular file"):
        hash_file(root, state)


def test_unopenable_file_is_an_access_error(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """An open refused with EACCES raises LocalAccessError."""
    state = write(root, "a.txt")

    def refuse(path: Any, *_args: Any, **_kwargs: Any) -> int:
        raise PermissionError(errno.EACCES, "Permission denied", str(path))

    monkeypatch.setattr(os, "open", refuse)
    with pytest.raises(LocalAccessError, match="cannot open"):
        hash_file(root, state)


def test_read_error_is_an_access_error_and_closes(
    root: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An I/O error while reading raises LocalAccessError and still closes the descriptor."""
    state = write(root, "a.txt")
    closed: list[int] = []
    real_close = os.close

    def broken(_fd: int, _n: int) -> bytes:
        raise OSError(errno.EIO, "Input/output error")

    def close(fd: int) -> None:
        closed.append(fd)
        real_close(fd)

    monkeypatch.setattr(os, "read", broken)
    monkeypatch.setattr(os, "close", close)
    with pytest.raises(LocalAccessError, match="cannot read"):
        hash_file(root, state)
    assert len(closed) == 1


def test_stat_does_not_follow_a_symlinked_parent(root: Path, tmp_path: Path) -> None:
    """A path under a directory that became a symlink (to outside the root) is not syncable."""
    outside = tmp_path / "outside"
    write(outside, "secret.txt")
    (root / "d").symlink_to(outside)
    assert stat_file(root, RelPath("d/secret.txt")) is None


@pytest.mark.parametrize(
    ("follow", "seen"),
    [(False, set()), (True, {"in-link", "dir-link/f"}), ("all", {"in-link", "dir-link/f", "out"})],
)
def test_stat_file_follows_links_as_the_policy_says(
    root: Path, tmp_path: Path, follow: Any, seen: set[str]
) -> None:
    """stat_file applies the scanner's rule: links inside with true, anywhere with "all"."""
    state = write(root, "target.txt")
    write(root, "d/f")
    (tmp_path / "elsewhere").write_bytes(b"outside\n")
    (root / "in-link").symlink_to("target.txt")
    (root / "dir-link").symlink_to("d")
    (root / "out").symlink_to(tmp_path / "elsewhere")
    (root / "dangling").symlink_to("nothing")
    paths = ("in-link", "dir-link/f", "out", "dangling")
    found = {p for p in paths if stat_file(root, RelPath(p), follow) is not None}
    assert found == seen
    linked = stat_file(root, RelPath("in-link"), follow)
    if linked is not None:
        assert (linked.inode, linked.size) == (state.inode, state.size)
        assert hash_file(root, linked, follow) == hashlib.sha1(b"hello\n").hexdigest()
