"""The subdirectories of each directory, listed once and kept while the directory is
unchanged: the watch-coverage walk then costs one ``lstat`` per directory, not one
directory entry per file.

Imports nothing from syncd. A directory's ``st_mtime`` and ``st_ctime`` change whenever
an entry is created, removed or renamed in it (POSIX), so a listing is reused while
both are what they were when it was taken. A listing taken less than ``RACY_NS`` after
the directory last changed is not kept: a change within the same timestamp tick could
leave both times as they were (the "racy" case, as git treats its index), so such a
directory is listed again next time. Entries of directories that were not visited by
the last walk are dropped (``prune``), so the cache holds only directories that exist.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

RACY_NS = 2_000_000_000
Identity = tuple[int, int]
_Kept = tuple[int, int, tuple[bytes, ...]]  # ctime ns, mtime ns, subdirectory names


class Listings:
    """Subdirectory names per directory identity; used by one thread at a time."""

    def __init__(self, now_ns: Callable[[], int] = time.time_ns) -> None:
        self._now_ns = now_ns
        self._kept: dict[Identity, _Kept] = {}
        self._visited: set[Identity] = set()
        self.listed = 0  # directories actually read (for tests and diagnostics)

    def __len__(self) -> int:
        return len(self._kept)

    def subdirs(self, path: bytes, st: os.stat_result) -> tuple[bytes, ...] | None:
        """The names of the subdirectories (not symlinks) of the directory at ``path``,
        whose ``lstat`` is ``st``; None when it cannot be listed."""
        identity = (st.st_dev, st.st_ino)
        self._visited.add(identity)
        kept = self._kept.get(identity)
        if kept is not None and kept[0] == st.st_ctime_ns and kept[1] == st.st_mtime_ns:
            return kept[2]
        started_ns = self._now_ns()
        try:
            with os.scandir(path) as entries:
                names = tuple(e.name for e in entries if e.is_dir(follow_symlinks=False))
        except OSError:
            self._kept.pop(identity, None)
            return None
        self.listed += 1
        if started_ns - max(st.st_ctime_ns, st.st_mtime_ns) >= RACY_NS:
            self._kept[identity] = (st.st_ctime_ns, st.st_mtime_ns, names)
        else:
            self._kept.pop(identity, None)
        return names

    def prune(self) -> None:
        """Forget directories the walk since the last prune did not visit."""
        self._kept = {k: v for k, v in self._kept.items() if k in self._visited}
        self._visited = set()
