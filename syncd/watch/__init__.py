"""The producers' eyes on local folders: the scanner, the watcher and their filters.

Imports ``syncd.config``, ``syncd.domain``, ``syncd.errors`` and ``syncd.clock``; the
only package that imports ``watchdog``. Other packages import from here.
"""

from syncd.watch.diff import UnsortedStreamError, diff_to_changes, merge_join
from syncd.watch.filters import Filters
from syncd.watch.scanner import Scanner, Unseen

__all__ = [
    "Filters",
    "Scanner",
    "Unseen",
    "UnsortedStreamError",
    "diff_to_changes",
    "merge_join",
]
