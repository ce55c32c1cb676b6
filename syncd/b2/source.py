"""A local file opened for upload, and the body that sends it.

The file is read through ``syncd.localfile.HeldFile`` (no link followed, never
blocking, held to the engine's ``LocalState`` from the first byte read to the last
sent); what is no longer a regular file is refused as ``SpecialFileError``.

Every SHA-1 an upload needs is computed here, in one of two ways: :meth:`SourceFile.sha1`
for a hash-only pass (the whole file before ``b2_start_large_file``, a stored part
checked on resume), and :class:`HashingBody` for a body that is hashed as it is sent
(a simple upload, or one part) and ends with the 40 hex digits (``hex_digits_at_end``).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from syncd.domain import LocalState
from syncd.errors import SpecialFileError
from syncd.localfile import HeldFile

TRAILER_BYTES = 40  # the hex SHA-1 that ends a ``hex_digits_at_end`` body


class SourceFile(HeldFile):
    """An open, verified regular file to upload; use as a context manager."""

    def __init__(self, abs_path: Path, expected: LocalState) -> None:
        super().__init__(abs_path, expected, not_regular=SpecialFileError)

    def sha1(self, offset: int = 0, length: int | None = None) -> str:
        """The SHA-1 of ``offset .. offset+length`` (default: to the end); one read, into
        one reused buffer, then the file is re-checked."""
        digest = hashlib.sha1(usedforsecurity=False)
        end = self.size if length is None else offset + length
        for view in self.views(offset, end - offset):
            digest.update(view)
        self.check()
        return digest.hexdigest()


class HashingBody:
    """An upload body: the bytes ``offset .. offset+length``, then their SHA-1 as 40 hex digits.

    One read computes the SHA-1 and sends the bytes (``hex_digits_at_end``), with no
    buffering beyond one chunk. The source is re-checked *before* the 40 digits go out:
    if the file changed, the body is cut short, so B2 can never store a torn version
    (or part).
    """

    def __init__(
        self,
        source: SourceFile,
        on_progress: Callable[[int], None] | None,
        *,
        offset: int = 0,
        length: int | None = None,
    ) -> None:
        self._source = source
        self._on_progress = on_progress
        self._offset = offset
        self.length = source.size - offset if length is None else length
        """Content bytes, without the 40 trailing digits."""
        self.sha1: str | None = None  # set once every content byte was read

    def __iter__(self) -> Iterator[bytes]:
        digest = hashlib.sha1(usedforsecurity=False)
        for chunk in self._source.read_range(self._offset, self.length):
            digest.update(chunk)
            yield chunk
            if self._on_progress is not None:
                self._on_progress(len(chunk))
        self._source.check()
        self.sha1 = digest.hexdigest()
        yield self.sha1.encode("ascii")
