"""One watched folder: its watchdog observer, its root identity, its threads' health,
its watch coverage and its marker lookups.

Imports ``syncd.config``, ``syncd.domain`` and ``syncd.watch.*``. Each folder has an
observer of its own, so that its inotify descriptor (and so its live watches), its
threads and its overflow log records can be told apart from other folders'.
"""

from __future__ import annotations

import os
import stat
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer
from watchdog.observers.api import BaseObserver

from syncd.config import FolderConfig
from syncd.domain import ChangeKind, LocalChange
from syncd.watch.filters import Filters
from syncd.watch.inotify import Coverage, inotify_fds, live_watches, measure
from syncd.watch.listings import Listings
from syncd.watch.translate import EVENT_TYPES

_CREATE_LOCK = threading.Lock()  # one observer at a time, so its inotify fd can be told apart
_MARKER_CACHE_MAX = 10_000
Identity = tuple[int, int]


class _Handler(FileSystemEventHandler):
    """Hands every event of one folder to a callback."""

    def __init__(self, on_event: Callable[[FileSystemEvent], None]) -> None:
        self._on_event = on_event

    def dispatch(self, event: FileSystemEvent) -> None:
        """Called on watchdog's observer thread for each event."""
        self._on_event(event)


def root_identity(root: str) -> Identity | None:
    """(st_dev, st_ino) of the root directory, or None if it is not one now."""
    try:
        st = os.stat(root)
    except OSError:
        return None
    return (st.st_dev, st.st_ino) if stat.S_ISDIR(st.st_mode) else None


@dataclass(slots=True)
class FolderWatch:
    """The watcher's state for one folder; only the watcher's threads touch it."""

    config: FolderConfig
    filters: Filters
    root: str = ""
    identity: Identity | None = None
    observer: BaseObserver | None = None
    fds: tuple[int, ...] = ()
    reader: threading.Thread | None = None
    lost: str | None = None  # why the root counts as lost
    notified: bool = False  # on_root_lost was called
    unwatchable: str | None = None  # the root's own watch failed: polled by rescans
    dead: bool = False  # emitter died more often than the restart budget
    restarts: int = 0
    coverage: Coverage | None = None
    listings: Listings = field(default_factory=Listings)  # the coverage walk's, kept
    marker_cache: dict[str, bool] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.root = os.path.realpath(self.config.path)

    @property
    def name(self) -> str:
        """The folder's name."""
        return self.config.name

    def root_intact(self) -> bool:
        """True while the root is the same directory it was when watching started."""
        return self.identity is not None and root_identity(self.root) == self.identity

    def start(self, on_event: Callable[[FileSystemEvent], None]) -> str | None:
        """Place the watches (synchronously); the reason if the root cannot be watched.

        Raises FileNotFoundError if the root is missing or is not the directory first seen.
        """
        identity = root_identity(self.root)
        if identity is None or (self.identity is not None and identity != self.identity):
            raise FileNotFoundError(self.root)
        self.identity = identity
        with _CREATE_LOCK:
            before = inotify_fds()
            observer = Observer()
            new_fds = inotify_fds() - before
        observer.schedule(_Handler(on_event), self.root, recursive=True, event_filter=EVENT_TYPES)
        try:
            observer.start()
        except OSError as exc:  # watchdog raises only when the root's own watch fails
            observer.stop()
            self.unwatchable = f"root cannot be watched: {exc.strerror}"
            return self.unwatchable
        reader = getattr(observer, "_inotify_fd", None)  # watchdog's inotify reader thread
        self.reader = reader if isinstance(reader, threading.Thread) else None
        own_fd = getattr(reader, "_inotify_fd", None)
        self.fds = (own_fd,) if isinstance(own_fd, int) and own_fd in new_fds else (*new_fds,)
        self.observer = observer
        self.unwatchable = None
        return None

    def stop(self, timeout_s: float) -> None:
        """Stop the observer (a no-op when it is not running)."""
        observer, self.observer = self.observer, None
        if observer is not None:
            observer.stop()
            if observer.is_alive() and threading.current_thread() is not observer:
                observer.join(timeout_s)

    def alive(self) -> bool:
        """True while the observer, its emitters and the inotify reader all run."""
        observer = self.observer
        if observer is None:
            return self.unwatchable is not None
        threads = [observer, *observer.emitters, *([self.reader] if self.reader else [])]
        return all(thread.is_alive() for thread in threads)

    def measure(self) -> Coverage | None:
        """The watch coverage now, or None when it cannot be measured here."""
        if self.unwatchable is not None:
            return measure(self.root, [], self.listings)
        if self.observer is None or not self.fds:
            return None
        watches = live_watches(self.fds)
        return None if watches is None else measure(self.root, watches, self.listings)

    def under_marker(self, change: LocalChange) -> bool:
        """True when a directory above the path holds the exclude_if_present marker."""
        marker = self.config.exclude_if_present
        if not marker:
            return False
        cache = self.marker_cache
        rel_path = change.rel_path
        if (
            change.kind is ChangeKind.SUBTREE
            or rel_path.rpartition("/")[2] == marker
            or len(cache) > _MARKER_CACHE_MAX
        ):
            cache.clear()  # directories came, went or gained a marker: look again
        parts = rel_path.split("/")
        for depth in range(len(parts)):
            rel_dir = "/".join(parts[:depth])
            if rel_dir not in cache:
                cache[rel_dir] = os.path.lexists(os.path.join(self.root, rel_dir, marker))
            if cache[rel_dir]:
                return True
        return False
