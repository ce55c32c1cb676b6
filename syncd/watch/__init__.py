"""The producers' eyes on local folders: the scanner, the watcher and their filters.

Imports ``syncd.config``, ``syncd.domain``, ``syncd.errors`` and ``syncd.clock``; the
only package that imports ``watchdog``. Other packages import from here.
"""

from syncd.watch.diff import UnsortedStreamError, diff_stamps, diff_to_changes, merge_join
from syncd.watch.filters import Filters
from syncd.watch.inotify import Coverage
from syncd.watch.scanner import Scanner, Unseen
from syncd.watch.watcher import Watcher, WatchSettings

__all__ = [
    "Coverage",
    "Filters",
    "Scanner",
    "Unseen",
    "UnsortedStreamError",
    "WatchSettings",
    "Watcher",
    "diff_stamps",
    "diff_to_changes",
    "merge_join",
]
