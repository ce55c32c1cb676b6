"""Walking a bucket in B2 list order, with prefix, delimiter roll-up and start cursors.

``walk`` yields entries (a version or a ``folder``) lazily; ``page`` cuts one page and
reports the first unreturned entry, which becomes ``nextFileName``/``nextFileId``.
After a folder the walk jumps past every name under it (folder with its last character
incremented). Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from itertools import islice

from syncd.emulator.models import UPLOAD, Version
from syncd.emulator.names import name_upper_bound
from syncd.emulator.versions import VersionStore


@dataclass(frozen=True, slots=True)
class Entry:
    """One listed item: a file version, or a folder name ending in the delimiter."""

    version: Version | None = None
    folder: str | None = None

    @property
    def name(self) -> str:
        """The file name or folder name."""
        if self.version is not None:
            return self.version.name
        assert self.folder is not None
        return self.folder


@dataclass(frozen=True, slots=True, kw_only=True)
class Query:
    """What to list."""

    bucket_id: str
    prefix: str = ""
    delimiter: str | None = None
    start_name: str | None = None
    start_id: str | None = None
    latest_only: bool = False


def _folder_of(name: str, prefix: str, delimiter: str | None) -> str | None:
    if not delimiter:
        return None
    cut = name.find(delimiter, len(prefix))
    return None if cut < 0 else name[: cut + len(delimiter)]


def _has_visible_file(store: VersionStore, bucket_id: str, folder: str) -> bool:
    seen: str | None = None
    for version in store.ordered(bucket_id, folder, name_upper_bound(folder), include_start=False):
        if version.name != seen:
            seen = version.name
            if version.action == UPLOAD:
                return True
    return False


def walk(store: VersionStore, query: Query) -> Iterator[Entry]:
    """Entries in B2 order from the query's start cursor."""
    start = max(query.start_name or "", query.prefix)
    upper = name_upper_bound(query.prefix)
    skip_until_id = query.start_id
    while True:
        jump: str | None = None
        last_name: str | None = None
        for version in store.ordered(
            query.bucket_id, start, upper, include_start=not query.latest_only
        ):
            folder = _folder_of(version.name, query.prefix, query.delimiter)
            if folder is not None:
                if not query.latest_only or _has_visible_file(store, query.bucket_id, folder):
                    yield Entry(folder=folder)
                jump = name_upper_bound(folder)
                break
            if query.latest_only:
                if version.name == last_name:
                    continue
                last_name = version.name
                if version.action != UPLOAD:
                    continue
            elif skip_until_id is not None:
                if version.name == query.start_name and version.file_id != skip_until_id:
                    continue
                skip_until_id = None
            yield Entry(version=version)
        if jump is None:
            return
        start = jump


def page(entries: Iterator[Entry], limit: int) -> tuple[list[Entry], Entry | None]:
    """Up to ``limit`` entries and the next one (None when the listing is complete)."""
    taken = list(islice(entries, limit))
    following = next(entries, None)
    if hasattr(entries, "close"):
        entries.close()
    return taken, following
