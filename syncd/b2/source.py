"""A local file opened for upload, and the checks that it holds still while read.

Imports ``syncd.errors`` and ``syncd.domain``. The file is opened with
``O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`` (a symlink, FIFO or device swapped in is never
followed, never blocks, never becomes a terminal), must be a regular file per
``fstat``, and must match the ``LocalState`` the engine saw. :meth:`SourceFile.check`
re-stats both the descriptor and the path: (size, mtime_ns, ctime_ns, dev, inode) must
not move from the first read to the last byte sent (reliability.md finding 5).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType

from syncd.domain import LocalState
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, SpecialFileError

CHUNK_BYTES = 1024 * 1024
_OPEN_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_NONBLOCK", 0)
    | getattr(os, "O_NOCTTY", 0)
    | getattr(os, "O_CLOEXEC", 0)
)


def _identity(st: os.stat_result) -> tuple[int, int, int, int, int]:
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_dev, st.st_ino)


class SourceFile:
    """An open, verified regular file; use as a context manager."""

    def __init__(self, abs_path: Path, expected: LocalState) -> None:
        self.abs_path = abs_path
        self.expected = expected
        self._rel = str(expected.rel_path)
        try:
            self._fd = os.open(abs_path, _OPEN_FLAGS)
        except FileNotFoundError as exc:
            raise FileVanishedError(
                f"{self._rel}: vanished before upload", rel_path=self._rel
            ) from exc
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise FileChangedError(
                    f"{self._rel}: became a symlink", rel_path=self._rel
                ) from exc
            if exc.errno == errno.ENOTDIR:
                raise FileVanishedError(f"{self._rel}: parent is gone", rel_path=self._rel) from exc
            raise LocalAccessError(
                f"{self._rel}: cannot open: {exc.strerror}", rel_path=self._rel
            ) from exc
        try:
            self._check_regular()
            self.check()
        except BaseException:
            os.close(self._fd)
            raise

    def _check_regular(self) -> None:
        if not stat.S_ISREG(os.fstat(self._fd).st_mode):
            raise SpecialFileError(f"{self._rel}: not a regular file", rel_path=self._rel)

    @property
    def size(self) -> int:
        """The size the engine saw, which every check holds the file to."""
        return self.expected.size

    def __enter__(self) -> SourceFile:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        os.close(self._fd)

    def check(self) -> None:
        """Raise unless the open file and the path both still match ``expected``."""
        e = self.expected
        want = (e.size, e.mtime_ns, e.ctime_ns, e.dev, e.inode)
        if _identity(os.fstat(self._fd)) != want:
            raise FileChangedError(f"{self._rel}: changed while being uploaded", rel_path=self._rel)
        try:
            on_path = os.lstat(self.abs_path)
        except FileNotFoundError as exc:
            raise FileVanishedError(
                f"{self._rel}: vanished during upload", rel_path=self._rel
            ) from exc
        except OSError as exc:
            raise LocalAccessError(
                f"{self._rel}: cannot stat: {exc.strerror}", rel_path=self._rel
            ) from exc
        if _identity(on_path) != want:
            raise FileChangedError(f"{self._rel}: replaced during upload", rel_path=self._rel)

    def read_range(self, offset: int, length: int) -> Iterator[bytes]:
        """The bytes ``offset .. offset+length`` in chunks; a short read means it changed."""
        end = offset + length
        while offset < end:
            try:
                chunk = os.pread(self._fd, min(CHUNK_BYTES, end - offset), offset)
            except OSError as exc:
                raise LocalAccessError(
                    f"{self._rel}: read failed: {exc.strerror}", rel_path=self._rel
                ) from exc
            if not chunk:
                raise FileChangedError(f"{self._rel}: shrank while being read", rel_path=self._rel)
            offset += len(chunk)
            yield chunk

    def hash_parts(self, part_size: int) -> tuple[str, list[str]]:
        """One pass: the whole-file SHA-1 and the SHA-1 of every ``part_size`` slice."""
        whole = hashlib.sha1(usedforsecurity=False)
        parts: list[str] = []
        for offset in range(0, self.size, part_size):
            part = hashlib.sha1(usedforsecurity=False)
            for chunk in self.read_range(offset, min(part_size, self.size - offset)):
                whole.update(chunk)
                part.update(chunk)
            parts.append(part.hexdigest())
        self.check()
        return whole.hexdigest(), parts


class HashingBody:
    """The body of a simple upload: the file's bytes, then their SHA-1 as 40 hex digits.

    One read computes the SHA-1 and sends the bytes (``hex_digits_at_end``), with no
    buffering beyond one chunk. The source is re-checked *before* the 40 digits go out:
    if the file changed, the body is cut short, so B2 can never store a torn version.
    """

    def __init__(self, source: SourceFile, on_progress: Callable[[int], None] | None) -> None:
        self._source = source
        self._on_progress = on_progress
        self.sha1: str | None = None  # set once every content byte was read

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha1(usedforsecurity=False)
        for chunk in self._source.read_range(0, self._source.size):
            digest.update(chunk)
            yield chunk
            if self._on_progress is not None:
                self._on_progress(len(chunk))
        self._source.check()
        self.sha1 = digest.hexdigest()
        yield self.sha1.encode("ascii")
