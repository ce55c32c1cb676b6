"""Helpers for the restore unit tests: writing through a descriptor, a tiny B2 session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace
from typing import Any

from syncd.b2 import DirEntry


def write_entry(entry: DirEntry, data: bytes) -> None:
    """Create ``entry`` with ``data`` through its directory's descriptor."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW
    with os.fdopen(os.open(entry.name, flags, 0o600, dir_fd=entry.dir_fd), "wb") as f:
        f.write(data)


class OneFileSession:
    """Just enough of ``B2Session`` for ``Download``: serves ``data`` as ``file_id``."""

    def __init__(self, file_id: str, data: bytes) -> None:
        self.file_id = file_id
        self.data = data
        self.authorization = SimpleNamespace(
            recommended_part_size=100 << 20, download_url="u", authorization_token="t"
        )
        self.raw = self

    @contextmanager
    def download_file_by_id(self, *_args: object, **_kwargs: object) -> Iterator[Any]:
        """One whole-file answer."""
        yield SimpleNamespace(
            file_id=self.file_id,
            status=200,
            content_range=None,
            content_length=len(self.data),
            chunks=iter([self.data]),
        )

    def call(self, _name: str, fn: Any) -> Any:
        """Run ``fn`` once with the authorization."""
        return fn(self.authorization)
