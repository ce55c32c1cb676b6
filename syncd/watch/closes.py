"""The close-write fast path's memory: when each file was last closed after writing.
Pure: times are passed in (monotonic seconds), nothing here sleeps or reads the disk.

Imports nothing from syncd. A file written and closed (or renamed into place) is quiet
at once, unless it is a file that keeps being rewritten: a log re-opened and appended
every 100 ms closes ten times a second, and uploading each close would store a version
per append. So a close within ``window_s`` (the settle window) of the same file's
previous close is not a fast close: its hint waits the settle window like a write, and
the journal's deferral cap still takes such a file once per cap. The first close of a
burst is fast, so a rewritten file costs at most one version more than the window alone
would give.

Memory stays bounded: an entry older than the window can no longer matter and is
dropped (oldest first, amortised over the calls); past ``max_paths`` recent closes the
oldest are dropped too, which can only make a close look fast.
"""

from __future__ import annotations

from collections import OrderedDict

Key = tuple[str, str]  # (folder, rel_path)


class Closes:
    """Recent close times per path; not thread-safe (the watcher holds a lock)."""

    def __init__(self, *, window_s: float, max_paths: int = 100_000) -> None:
        self._window_s = window_s
        self._max_paths = max_paths
        self._last: OrderedDict[Key, float] = OrderedDict()  # oldest close first

    def __len__(self) -> int:
        return len(self._last)

    def fast(self, key: Key, now_s: float) -> bool:
        """Note a close of ``key`` at ``now_s``; True when it is the first close within
        the window (quiet at once), False when the file is being rewritten."""
        self.prune(now_s)
        previous = self._last.pop(key, None)
        self._last[key] = now_s
        if len(self._last) > self._max_paths:
            self._last.popitem(last=False)
        return previous is None or now_s - previous >= self._window_s

    def prune(self, now_s: float) -> None:
        """Forget closes older than the window."""
        while self._last:
            key, at_s = next(iter(self._last.items()))
            if now_s - at_s < self._window_s:
                return
            del self._last[key]

    def forget(self, folder: str) -> None:
        """Forget every close in ``folder`` (its root was lost)."""
        for key in [k for k in self._last if k[0] == folder]:
            del self._last[key]
