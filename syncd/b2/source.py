"""A local file opened for upload, and the body that sends it.

The file is read through ``syncd.localfile.HeldFile`` (no link followed, never
blocking, held to the engine's ``LocalState`` from the first byte read to the last
sent); what is no longer a regular file is refused as ``SpecialFileError``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from pathlib import Path

from syncd.domain import LocalState
from syncd.errors import SpecialFileError
from syncd.localfile import HeldFile


class SourceFile(HeldFile):
    """An open, verified regular file to upload; use as a context manager."""

    def __init__(self, abs_path: Path, expected: LocalState) -> None:
        super().__init__(abs_path, expected, not_regular=SpecialFileError)

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
