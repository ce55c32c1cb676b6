"""The one reader of local files (HeldFile) and the one positioned writer (write_at)."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from syncd.domain import LocalState, RelPath
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, SpecialFileError
from syncd.localfile import HeldFile, write_at


def held_state(path: Path) -> LocalState:
    """Write a small file at ``path`` and return its state."""
    path.write_bytes(b"0123456789")
    return LocalState.from_stat(RelPath(path.name), os.lstat(path))


def test_from_stat_keeps_every_identity_field(tmp_path: Path) -> None:
    """LocalState.from_stat copies size, mtime, ctime, device and inode from the stat."""
    path = tmp_path / "a"
    state = held_state(path)
    st = os.lstat(path)
    assert (state.size, state.mtime_ns, state.ctime_ns, state.dev, state.inode) == (
        10,
        st.st_mtime_ns,
        st.st_ctime_ns,
        st.st_dev,
        st.st_ino,
    )


def test_chunks_and_ranges_read_the_bytes(tmp_path: Path) -> None:
    """chunks() reads the whole file in order and read_range() one slice of it."""
    path = tmp_path / "a"
    state = held_state(path)
    with HeldFile(path, state) as held:
        assert b"".join(held.chunks(3)) == b"0123456789"
        assert b"".join(held.read_range(2, 5)) == b"23456"
        held.check()


def test_a_path_that_names_another_file_now_is_a_change(tmp_path: Path) -> None:
    """check() looks at the path too: its folder moved away and a same-sized file took its place."""
    (tmp_path / "d").mkdir()
    path = tmp_path / "d" / "a"
    state = held_state(path)
    with HeldFile(path, state) as held:
        (tmp_path / "d").rename(tmp_path / "moved")
        (tmp_path / "d").mkdir()
        path.write_bytes(b"0123456789")
        with pytest.raises(FileChangedError, match="replaced"):
            held.check()


def test_a_path_whose_folder_moved_away_has_vanished(tmp_path: Path) -> None:
    """check() after the file's folder was renamed raises FileVanishedError."""
    (tmp_path / "d").mkdir()
    path = tmp_path / "d" / "a"
    state = held_state(path)
    with HeldFile(path, state) as held:
        (tmp_path / "d").rename(tmp_path / "moved")
        with pytest.raises(FileVanishedError):
            held.check()


def test_a_short_range_read_means_it_shrank(tmp_path: Path) -> None:
    """read_range() past the end of a truncated file raises FileChangedError."""
    path = tmp_path / "a"
    state = held_state(path)
    with HeldFile(path, state) as held:
        os.truncate(path, 4)
        with pytest.raises(FileChangedError, match="shrank"):
            b"".join(held.read_range(0, 10))


@pytest.mark.parametrize("error", [FileChangedError, SpecialFileError])
def test_what_is_not_a_regular_file_raises_the_chosen_error(
    tmp_path: Path, error: type[Exception]
) -> None:
    """A directory swapped in raises the caller's not_regular error class."""
    path = tmp_path / "a"
    state = held_state(path)
    path.unlink()
    path.mkdir()
    with pytest.raises(error, match="no longer a regular file"):
        HeldFile(path, state, not_regular=error)  # type: ignore[arg-type]


def test_write_at_finishes_a_short_write(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A pwrite that writes 3 bytes at a time still puts every byte at its offset."""
    real = os.pwrite
    monkeypatch.setattr(os, "pwrite", lambda fd, data, offset: real(fd, bytes(data[:3]), offset))
    target = tmp_path / "out"
    fd = os.open(target, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        write_at(fd, b"0123456789", 5, "out")
    finally:
        os.close(fd)
    assert target.read_bytes() == b"\0" * 5 + b"0123456789"


def test_write_at_reports_a_full_disk_with_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ENOSPC from pwrite is a LocalAccessError naming the file, not an OSError."""

    def full(fd: int, data: bytes, offset: int) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(os, "pwrite", full)
    with pytest.raises(LocalAccessError, match=r"restored\.bin: write failed: No space left"):
        write_at(0, b"x", 0, "restored.bin")
