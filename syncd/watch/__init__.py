"""The producers' eyes on local folders: the scanner, the watcher and their filters.

Imports ``syncd.config``, ``syncd.domain``, ``syncd.errors`` and ``syncd.clock``; the
only package that imports ``watchdog``. Other packages import from here.

The watcher's names (``Watcher``, ``WatchSettings``, ``Coverage``) load on first use
(PEP 562 ``__getattr__``): a one-shot ``sync-now`` scans and never loads watchdog.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from syncd.watch.diff import UnsortedStreamError, diff_stamps, diff_to_changes, merge_join
from syncd.watch.filters import Filters
from syncd.watch.scanner import Scanner, Unseen

if TYPE_CHECKING:
    from syncd.watch.inotify import Coverage
    from syncd.watch.watcher import Watcher, WatchSettings

_LAZY = {"Coverage": "inotify", "Watcher": "watcher", "WatchSettings": "watcher"}

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

if not TYPE_CHECKING:  # the type checker sees the imports above instead

    def __getattr__(name: str) -> object:
        """Load a watcher name from its module on first use and keep it here."""
        try:
            module = _LAZY[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
        globals()[name] = value
        return value
