"""What watchdog does not tell about inotify, found out by other means.

Imports ``syncd.domain`` and ``syncd.watch.listings``. Two blind spots (reliability
findings 1 and 2):

* a kernel queue overflow only reaches watchdog's loggers: ``OVERFLOW_TAP`` is a
  logging filter on those loggers that calls its subscribers;
* watches that could not be added below the root (the per-user watch limit) are
  dropped silently: ``measure`` compares the live watches of an inotify descriptor,
  read from ``/proc/self/fdinfo/<fd>``, with the directories actually on disk (a
  directory unchanged since the last check is not read again: ``syncd.watch.listings``).

Linux only; elsewhere ``inotify_fds`` finds nothing and the watcher skips the check.
"""

from __future__ import annotations

import logging
import os
import re
import stat
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from syncd.domain import RelPath
from syncd.watch.listings import Listings

_WD_RE = re.compile(r"^inotify wd:\S+ ino:([0-9a-f]+) sdev:([0-9a-f]+)", re.MULTILINE)
MAX_LISTED = 100
WATCHDOG_LOGGERS = ("watchdog.observers.inotify_c", "watchdog.observers.inotify")
_OVERFLOW_MARKS = ("overflow", "unable to rebuild")
Identity = tuple[int, int]


def inotify_fds() -> set[int]:
    """The descriptors of this process that are inotify instances."""
    try:
        names = os.listdir("/proc/self/fd")
    except OSError:
        return set()
    found = set()
    for name in names:
        try:
            if os.readlink(f"/proc/self/fd/{name}") == "anon_inode:inotify":
                found.add(int(name))
        except (OSError, ValueError):
            continue
    return found


def parse_fdinfo(text: str) -> list[Identity]:
    """The (st_dev, st_ino) of every watch listed in an inotify fdinfo text.

    The kernel prints ``sdev`` in its internal encoding (major << 20 | minor).
    """
    identities = []
    for ino, sdev in _WD_RE.findall(text):
        dev = int(sdev, 16)
        identities.append((os.makedev(dev >> 20, dev & 0xFFFFF), int(ino, 16)))
    return identities


def live_watches(fds: Sequence[int]) -> list[Identity] | None:
    """The watches of these inotify descriptors, or None if they cannot be read."""
    identities: list[Identity] = []
    for fd in fds:
        try:
            with open(f"/proc/self/fdinfo/{fd}", encoding="ascii") as fh:
                identities.extend(parse_fdinfo(fh.read()))
        except OSError:
            return None
    return identities


@dataclass(frozen=True, slots=True, kw_only=True)
class Coverage:
    """How much of a folder's tree inotify really watches."""

    watched: int
    directories: int
    unwatched: tuple[RelPath, ...] = ()  # top-most unwatched directories (capped)
    exact: bool = True  # False: only counts are known, not which directories

    @property
    def gap(self) -> int:
        """Directories that should be watched and are not."""
        return max(0, self.directories - self.watched)


def measure(root: str, watches: Sequence[Identity], listings: Listings | None = None) -> Coverage:
    """Walk the directories under ``root`` the way watchdog does (symlinks not followed,
    mounts crossed) and match them with the live watches. Directories that cannot be
    listed are left out: that is a permission problem the scanner reports.

    ``listings`` keeps each directory's subdirectories between calls, so an unchanged
    directory costs one ``lstat`` (``syncd.watch.listings``); without it every directory
    is read again."""
    listings = Listings() if listings is None else listings
    watched = set(watches)
    directories = matched = 0
    listed: list[RelPath] = []
    stack: list[tuple[str, bytes, bool]] = [("", os.fsencode(root), False)]
    while stack:
        rel, path, covered = stack.pop()
        try:
            st = os.stat(path, follow_symlinks=not rel)  # the root may be a link to a dir
        except OSError:
            continue
        if not stat.S_ISDIR(st.st_mode):
            continue  # replaced since its parent was listed
        names = listings.subdirs(path, st)
        if names is None:
            continue
        directories += 1
        is_watched = (st.st_dev, st.st_ino) in watched
        matched += is_watched
        if not is_watched and not covered and len(listed) < MAX_LISTED:
            listed.append(RelPath(rel))
        for name in names:
            text = os.fsdecode(name)
            stack.append(
                (f"{rel}/{text}" if rel else text, path + b"/" + name, covered or not is_watched)
            )
    listings.prune()
    # Stale watches of just-deleted directories may linger; many unmatched ones mean
    # identities do not line up (e.g. overlayfs) and only the counts can be trusted.
    exact = matched >= len(watched) - max(2, len(watched) // 20)
    if exact:
        return Coverage(watched=matched, directories=directories, unwatched=tuple(sorted(listed)))
    return Coverage(watched=len(watched), directories=directories, exact=False)


def _read_int(path: str) -> int | None:
    try:
        with open(path, encoding="ascii") as fh:
            return int(fh.read())
    except (OSError, ValueError):
        return None


def watch_limit_advice(directories: int) -> str:
    """The sysctl a user should run when watches are missing."""
    current = _read_int("/proc/sys/fs/inotify/max_user_watches") or 8192
    wanted = max(current * 2, directories * 2 + 1024)
    advice = (
        f"raise the inotify watch limit: sysctl fs.inotify.max_user_watches={wanted} "
        "(persist it in /etc/sysctl.d/); the limit is per user and shared by every program "
        "the user runs"
    )
    namespace_limit = _read_int("/proc/sys/user/max_inotify_watches")
    if namespace_limit is not None and namespace_limit < current:
        advice += f"; this user namespace caps it lower: user.max_inotify_watches={namespace_limit}"
    return advice


class OverflowTap(logging.Filter):
    """A filter on watchdog's inotify loggers that reports overflow records.

    Records at or above the loggers' configured verbosity pass on unchanged; the
    loggers are lowered to WARNING if needed so that the overflow record is created.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._subscribers: list[Callable[[logging.LogRecord], None]] = []
        self._saved: dict[str, int] = {}

    def subscribe(self, callback: Callable[[logging.LogRecord], None]) -> None:
        """Call ``callback`` (on watchdog's thread) for every overflow record."""
        with self._lock:
            if not self._subscribers:
                for name in WATCHDOG_LOGGERS:
                    logger = logging.getLogger(name)
                    self._saved[name] = logger.level
                    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
                        logger.setLevel(logging.WARNING)
                    logger.addFilter(self)
            self._subscribers.append(callback)

    def unsubscribe(self, callback: Callable[[logging.LogRecord], None]) -> None:
        """Stop calling ``callback``; the last one out restores the loggers."""
        with self._lock:
            if callback in self._subscribers:
                self._subscribers.remove(callback)
            if not self._subscribers and self._saved:
                for name, level in self._saved.items():
                    logger = logging.getLogger(name)
                    logger.removeFilter(self)
                    logger.setLevel(level)
                self._saved.clear()

    def filter(self, record: logging.LogRecord) -> bool:
        """Report overflow records; keep the record only if it was meant to be shown."""
        text = str(record.msg).lower()
        if any(mark in text for mark in _OVERFLOW_MARKS):
            for callback in list(self._subscribers):
                callback(record)
        saved = self._saved.get(record.name, logging.NOTSET)
        if saved != logging.NOTSET:
            return record.levelno >= saved
        parent = logging.getLogger(record.name).parent
        return parent is None or record.levelno >= parent.getEffectiveLevel()


OVERFLOW_TAP = OverflowTap()
