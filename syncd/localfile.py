"""The one safe reader of a local file: opened without following a link, blocking or
taking a terminal, and held to the ``LocalState`` it was chosen by.

The engine hashes through it and every storage backend uploads through it. The open
uses ``O_NOFOLLOW | O_NONBLOCK | O_NOCTTY`` (a symlink, FIFO or device swapped in is
never followed, never blocks, never becomes a terminal); the open file must be a
regular file per ``fstat`` and keep (size, mtime_ns, ctime_ns, dev, inode) from the
first byte read to the last: :meth:`HeldFile.check` re-stats both the descriptor and
the path (reliability.md finding 5). "Could not read" is never "gone": only
ENOENT/ENOTDIR mean absent; every other failure is a ``LocalAccessError``.
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Self

from syncd.domain import LocalState
from syncd.errors import FileChangedError, FileVanishedError, LocalAccessError, LocalError

CHUNK_BYTES = 1 << 20
HASH_CHUNK_BYTES = 4 << 20  # a hash-only read: larger, fewer calls, one reused buffer
OPEN_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
_ABSENT = (errno.ENOENT, errno.ENOTDIR)


class HeldFile:
    """An open regular file that must keep the identity of ``expected``; a context
    manager that closes it.

    ``not_regular`` is the error raised when what the path now names is not a regular
    file (a FIFO, a device, a directory swapped in): a change to look at again
    (``FileChangedError``, the default) or an item to skip (``SpecialFileError``).
    """

    def __init__(
        self,
        path: Path | str,
        expected: LocalState,
        *,
        not_regular: type[LocalError] = FileChangedError,
    ) -> None:
        self.abs_path = Path(path)
        self.expected = expected
        self._rel = str(expected.rel_path)
        self._fd = self._open(not_regular)

    def _open(self, not_regular: type[LocalError]) -> int:
        rel = self._rel
        try:
            fd = os.open(self.abs_path, OPEN_FLAGS)
        except OSError as exc:
            if exc.errno in _ABSENT:
                raise FileVanishedError("vanished before it was read", rel_path=rel) from exc
            if exc.errno == errno.ELOOP:
                raise FileChangedError("became a symlink", rel_path=rel) from exc
            raise LocalAccessError(f"cannot open: {exc.strerror}", rel_path=rel) from exc
        try:
            self._check(fd, "changed before it was read", self._regular(fd, not_regular))
        except BaseException:
            os.close(fd)
            raise
        return fd

    @property
    def size(self) -> int:
        """The size the file was chosen with, which every check holds it to."""
        return self.expected.size

    def __enter__(self) -> Self:
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
        self._check(self._fd, "changed while it was read")

    def _regular(self, fd: int, not_regular: type[LocalError]) -> os.stat_result:
        st = self._fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise not_regular("is no longer a regular file", rel_path=self._rel)
        return st

    def _check(self, fd: int, changed: str, st: os.stat_result | None = None) -> None:
        if not _same(st or self._fstat(fd), self.expected):
            raise FileChangedError(changed, rel_path=self._rel)
        try:
            on_path = os.lstat(self.abs_path)
        except OSError as exc:
            if exc.errno in _ABSENT:
                raise FileVanishedError("vanished while it was read", rel_path=self._rel) from exc
            raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=self._rel) from exc
        if not _same(on_path, self.expected):
            raise FileChangedError("replaced while it was read", rel_path=self._rel)

    def _fstat(self, fd: int) -> os.stat_result:
        try:
            return os.fstat(fd)
        except OSError as exc:
            raise LocalAccessError(f"cannot stat: {exc.strerror}", rel_path=self._rel) from exc

    def chunks(self, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
        """The bytes from the current offset to the end, read in order."""
        while True:
            try:
                chunk = os.read(self._fd, chunk_bytes)
            except OSError as exc:
                raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=self._rel) from exc
            if not chunk:
                return
            yield chunk

    def read_range(self, offset: int, length: int) -> Iterator[bytes]:
        """The bytes ``offset .. offset+length`` in chunks; a short read means it changed."""
        end = offset + length
        while offset < end:
            try:
                chunk = os.pread(self._fd, min(CHUNK_BYTES, end - offset), offset)
            except OSError as exc:
                raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=self._rel) from exc
            if not chunk:
                raise FileChangedError("shrank while it was read", rel_path=self._rel)
            offset += len(chunk)
            yield chunk

    def views(self, offset: int, length: int) -> Iterator[memoryview]:
        """:meth:`read_range` for a reader that uses each chunk before asking for the next
        (a hash): one buffer of ``HASH_CHUNK_BYTES`` is refilled, so nothing is allocated
        per chunk. A view is valid only until the next one is asked for."""
        buf = bytearray(min(HASH_CHUNK_BYTES, max(length, 1)))
        whole = memoryview(buf)
        end = offset + length
        while offset < end:
            want = whole[: min(len(buf), end - offset)]
            try:
                got = os.preadv(self._fd, [want], offset)
            except OSError as exc:
                raise LocalAccessError(f"cannot read: {exc.strerror}", rel_path=self._rel) from exc
            if not got:
                raise FileChangedError("shrank while it was read", rel_path=self._rel)
            offset += got
            yield want[:got]


def _same(st: os.stat_result, expected: LocalState) -> bool:
    return LocalState.from_stat(expected.rel_path, st).same_identity(expected)


def write_at(fd: int, data: bytes, offset: int, path: str) -> None:
    """Write all of ``data`` at ``offset`` of ``fd`` (``pwrite`` may write less than
    asked: the rest follows); a failure, a full disk included, is a LocalAccessError
    that names ``path``."""
    view = memoryview(data)
    while view:
        try:
            written = os.pwrite(fd, view, offset)
        except OSError as exc:
            raise LocalAccessError(f"{path}: write failed: {exc.strerror}") from exc
        if written <= 0:
            raise LocalAccessError(f"{path}: write failed: nothing was written")
        view = view[written:]
        offset += written
