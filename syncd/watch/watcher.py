"""The watcher: watchdog observers turned into batched hints for a ChangeSink, plus
the checks that catch what watchdog hides.

Callbacks only translate, filter and buffer; a flusher thread sends batches to the sink
and a monitor thread (``monitor.py``) checks the roots, the threads and the watch
coverage. Events are hints: missing one costs a rescan, never a file, because every
blind spot turns into a SUBTREE hint:

* a kernel queue overflow (seen on watchdog's logger) -> rescan the root;
* directories left unwatched (the watch limit) -> reported with the sysctl advice,
  the folder marked degraded, and its unwatched directories polled by rescans;
* an emitter thread that died -> restarted (a few times) and the root rescanned;
* the root deleted, moved or replaced -> ``on_root_lost(folder)`` and nothing else:
  pending delete hints of that folder are dropped, never sent.

A file closed after writing (inotify close-write, or renamed into place) is sent as a
``closed`` change once a short grace has passed (``pending.py``): the journal makes it
due at once instead of after the settle window. The flusher wakes for that grace.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog
from watchdog.events import FileSystemEvent

from syncd.clock import Clock
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, ChangeSink, RelPath
from syncd.watch.filters import Filters
from syncd.watch.folder import FolderWatch
from syncd.watch.inotify import OVERFLOW_TAP, Coverage, watch_limit_advice
from syncd.watch.monitor import Monitor, MonitorHooks, MonitorTimes
from syncd.watch.pending import Due, Pending, prune_subtrees
from syncd.watch.sinklog import SinkFailures
from syncd.watch.translate import ROOT_LOST, Hint, translate

log = structlog.get_logger(__name__)
_ROOT = RelPath("")


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchSettings:
    """Timings and bounds of the watcher."""

    flush_s: float = 0.1  # how often due hints go to the sink
    # The flusher's sleep while nothing is buffered: the first hint wakes it at once, so
    # this only bounds how long an idle daemon's flusher stays asleep.
    idle_flush_s: float = 5.0
    # A file closed after writing goes out this long after its close (quiet at once for
    # the journal); the grace coalesces the attribute changes and renames that follow.
    close_grace_s: float = 0.05
    # A close within this long of the file's previous close is a rewrite (a log appended
    # by open-append-close): it waits the settle window instead. ``[sync] settle_s``.
    settle_s: float = SyncConfig().settle_s
    batch_max: int = 500  # flush early past this many, and never send more at once
    # Delete-like hints wait this long in memory (root check first): ``[sync] delete_hold_s``.
    # The journal's hold runs from the same observation time, so the two never add up.
    delete_hold_s: float = SyncConfig().delete_hold_s
    max_pending: int = 100_000  # past this the buffer collapses to root rescans
    health_interval_s: float = 1.0  # root and thread checks
    coverage_first_s: float = 2.0  # first watch-coverage check after start
    coverage_interval_s: float = 60.0  # later checks; also the poll of unwatched dirs
    max_restarts: int = 5  # emitter restarts per folder before giving up
    extra_excludes: tuple[str, ...] = ()  # patterns added to every folder's

    @classmethod
    def of(cls, sync: SyncConfig, *, extra_excludes: tuple[str, ...] = ()) -> WatchSettings:
        """The daemon's settings: the configured delete hold, the built-in bounds."""
        return cls(
            delete_hold_s=sync.delete_hold_s, settle_s=sync.settle_s, extra_excludes=extra_excludes
        )


def _ignore(*_args: object) -> None:
    return None


class Watcher:
    """Watches folders and sends hints to ``sink`` in batches."""

    def __init__(
        self,
        folders: Sequence[FolderConfig],
        sink: ChangeSink,
        clock: Clock,
        *,
        on_root_lost: Callable[[str], None] = _ignore,
        on_coverage_gap: Callable[[str, Coverage], None] = _ignore,
        on_rescan_needed: Callable[[str, RelPath | None], None] | None = None,
        settings: WatchSettings | None = None,
    ) -> None:
        self._settings = settings or WatchSettings()
        self._sink = sink
        self._sink_failures = SinkFailures(clock)
        self._clock = clock
        self._on_rescan_needed = on_rescan_needed
        self._rescans: dict[tuple[str, str], None] = {}  # ordered set, drained by flush
        extra = self._settings.extra_excludes
        self._folders = {
            f.name: FolderWatch(config=f, filters=Filters.of(f, extra=extra)) for f in folders
        }
        self._lock = threading.Lock()
        self._pending = Pending(
            hold_s=self._settings.delete_hold_s,
            max_paths=self._settings.max_pending,
            grace_s=self._settings.close_grace_s,
            rewrite_window_s=self._settings.settle_s,
        )
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._overflows = 0
        self._monitor = Monitor(
            self._folders,
            clock,
            self._stopping,
            MonitorTimes(
                health_interval_s=self._settings.health_interval_s,
                coverage_first_s=self._settings.coverage_first_s,
                coverage_interval_s=self._settings.coverage_interval_s,
                max_restarts=self._settings.max_restarts,
            ),
            MonitorHooks(
                lose=self._lose,
                rescan=self._rescan,
                start_folder=self._start_folder,
                on_root_lost=on_root_lost,
                on_coverage_gap=on_coverage_gap,
            ),
        )

    # -- lifecycle -----------------------------------------------------------------

    def start(self) -> None:
        """Place the watches (synchronously) and start the flusher and monitor."""
        OVERFLOW_TAP.subscribe(self._on_log_record)
        for folder in self._folders.values():
            self._start_folder(folder)
        for name, target in (("flush", self._flush_loop), ("monitor", self._monitor.loop)):
            thread = threading.Thread(target=target, name=f"syncd-watch-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def stop(self, timeout_s: float = 5.0) -> None:
        """Stop watching, send what is pending, and release the loggers."""
        self._stopping.set()
        self._wake.set()
        for folder in self._folders.values():
            folder.stop(timeout_s)
        for thread in self._threads:
            thread.join(timeout_s)
        self.flush(everything=True)
        OVERFLOW_TAP.unsubscribe(self._on_log_record)

    def _start_folder(self, folder: FolderWatch) -> None:
        try:
            problem = folder.start(lambda event: self._on_event(folder, event))
        except FileNotFoundError:
            self._lose(folder, "root missing, not a directory, or replaced")
            return
        if problem is not None:
            log.error("watch_start_failed", folder=folder.name, error=problem)
            self._rescan(folder, [_ROOT])
        else:
            log.info("watch_started", folder=folder.name, root=folder.root)

    # -- what the daemon asks ---------------------------------------------------

    @property
    def settings(self) -> WatchSettings:
        """The timings and bounds this watcher runs with."""
        return self._settings

    def healthy(self) -> bool:
        """True while every thread this watcher needs is alive (lost roots aside)."""
        if not self._threads or self._stopping.is_set():
            return False
        if not all(thread.is_alive() for thread in self._threads):
            return False
        return all(f.lost or (not f.dead and f.alive()) for f in self._folders.values())

    def coverage(self) -> dict[str, tuple[int, int]]:
        """(watched, directories) per folder from the last coverage check."""
        return {
            n: (f.coverage.watched, f.coverage.directories)
            for n, f in self._folders.items()
            if f.coverage is not None
        }

    def degraded(self) -> dict[str, str]:
        """Why a folder is not fully watched, for status output; empty when all is well."""
        reasons = {}
        for name, f in self._folders.items():
            cov = f.coverage
            if f.lost:
                reasons[name] = f"root lost: {f.lost}"
            elif f.dead:
                reasons[name] = "watcher thread died and could not be restarted"
            elif f.unwatchable:
                reasons[name] = f"{f.unwatchable}; polling with rescans"
            elif cov is not None and cov.gap:
                reasons[name] = (
                    f"{cov.gap} of {cov.directories} directories unwatched; "
                    + watch_limit_advice(cov.directories)
                )
        return reasons

    @property
    def overflows(self) -> int:
        """Kernel queue overflows seen since start."""
        return self._overflows

    # -- callbacks (watchdog threads): translate, filter, buffer -----------------

    def _on_event(self, folder: FolderWatch, event: FileSystemEvent) -> None:
        try:
            if folder.lost:
                return
            hints = translate(event, folder.root, folder.filters)
            if hints == ROOT_LOST:
                self._lose(folder, "root deleted")
            elif isinstance(hints, list) and hints:
                self._add(folder, hints)
        except Exception:  # an exception here would kill watchdog's observer thread
            log.exception("watch_event_failed", folder=folder.name)

    def _add(self, folder: FolderWatch, hints: list[Hint]) -> None:
        now_s, now_ms = self._clock.monotonic(), self._clock.now_ms()
        with self._lock:
            empty = not self._pending  # the flusher may be in its idle sleep
            idle = self._pending.next_closed_s() is None
            for hint in hints:
                self._pending.add(folder.name, hint, now_s=now_s, observed_ms=now_ms)
            full = self._pending.fast_count() >= self._settings.batch_max
            closed = idle and self._pending.next_closed_s() is not None
        if full or closed or empty:  # a first closed file: the flusher re-arms for its grace
            self._wake.set()

    def _rescan(self, folder: FolderWatch, rel_paths: list[RelPath]) -> None:
        """Ask for rescans where events were (or may have been) missed: through
        ``on_rescan_needed`` if given, else as SUBTREE hints to the sink."""
        if self._on_rescan_needed is None:
            self._add(folder, [Hint(rel_path=r, kind=ChangeKind.SUBTREE) for r in rel_paths])
            return
        with self._lock:
            for rel in rel_paths:
                self._rescans[(folder.name, rel)] = None
        self._wake.set()

    def _drain_rescans(self) -> None:
        with self._lock:
            requests, self._rescans = list(self._rescans), {}
        for i, (name, rel) in enumerate(requests):
            if self._on_rescan_needed is None or self._folders[name].lost:
                continue
            try:
                self._on_rescan_needed(name, RelPath(rel) or None)
            except Exception:  # keep the requests and retry on the next flush
                log.exception("watch_rescan_request_failed", folder=name)
                with self._lock:
                    self._rescans.update(dict.fromkeys(requests[i:]))
                return

    def _on_log_record(self, record: logging.LogRecord) -> None:
        args = record.args if isinstance(record.args, tuple) else ()
        path = os.fsdecode(args[0]) if args and isinstance(args[0], (bytes, str)) else None
        mine = [
            f
            for f in self._folders.values()
            if (path is not None and path == f.root)
            or (f.reader is not None and record.thread == f.reader.ident)
        ]
        if not mine and all(f.reader is None for f in self._folders.values()):
            mine = list(self._folders.values())  # cannot tell whose: rescan them all
        for folder in mine:
            if folder.lost:
                continue
            if record.name.endswith("inotify_c"):
                self._overflows += 1
            log.warning("watch_overflowed", folder=folder.name, action="rescan_root")
            self._rescan(folder, [_ROOT])

    # -- the flusher -----------------------------------------------------------------

    def _flush_loop(self) -> None:
        while not self._stopping.is_set():
            self._clock.wait(self.next_flush_s(), self._wake)
            self._wake.clear()
            self.flush()

    def next_flush_s(self) -> float:
        """How long the flusher sleeps: ``flush_s``, or less when a closed file's grace
        ends sooner (never below a quarter of ``flush_s``, so a stream of closes is
        still sent in batches); ``idle_flush_s`` while nothing is buffered."""
        flush_s = self._settings.flush_s
        with self._lock:
            due_s = self._pending.next_closed_s()
            empty = not self._pending and not self._rescans
        if empty:
            return self._settings.idle_flush_s  # a hint or a rescan request wakes it
        if due_s is None:
            return flush_s
        return min(flush_s, max(flush_s / 4, due_s - self._clock.monotonic()))

    def flush(self, *, everything: bool = False) -> int:
        """Send what is due to the sink (all of it with ``everything``); return how many."""
        self._drain_rescans()
        with self._lock:
            due = prune_subtrees(
                self._pending.take_due(self._clock.monotonic(), everything=everything)
            )
        intact: dict[str, bool] = {}
        kept: list[Due] = []
        for item in due:
            folder = self._folders[item.change.folder]
            if item.held:  # a delete-like hint goes out only while the root is intact
                if folder.name not in intact:
                    intact[folder.name] = not folder.lost and folder.root_intact()
                    if not intact[folder.name]:
                        self._lose(folder, "root missing or replaced")
                if not intact[folder.name]:
                    continue
            if not folder.under_marker(item.change):
                kept.append(item)
        batch = self._settings.batch_max
        for start in range(0, len(kept), batch):
            chunk = kept[start : start + batch]
            try:
                self._sink([item.change for item in chunk])
            except Exception as exc:  # noqa: BLE001  (any sink failure: keep the hints, retry)
                self._sink_failures.failed(exc, len(kept) - start)
                self._requeue(kept[start:])
                return start
        self._sink_failures.succeeded()
        return len(kept)

    def _requeue(self, items: list[Due]) -> None:
        now_s = self._clock.monotonic()
        with self._lock:
            for item in items:
                if item.change.closed:
                    self._pending.restore_closed(item.change, now_s=now_s)
                    continue
                hint = Hint(rel_path=item.change.rel_path, kind=item.change.kind, held=item.held)
                self._pending.add(
                    item.change.folder, hint, now_s=now_s, observed_ms=item.change.observed_ms
                )

    # -- the monitor: roots, threads, coverage (``monitor.py``) -----------------------

    def check_health(self) -> None:
        """Check each root's identity and each folder's threads; restart dead emitters."""
        self._monitor.check_health()

    def check_coverage(self, name: str) -> Coverage | None:
        """Compare live inotify watches with the directories on disk (``Monitor``)."""
        return self._monitor.check_coverage(name)

    def _lose(self, folder: FolderWatch, reason: str) -> None:
        """Mark the root lost and drop its pending hints; the monitor calls back."""
        with self._lock:
            if folder.lost:
                return
            folder.lost = reason
            dropped = self._pending.drop_folder(folder.name)
        log.error("watch_root_lost", folder=folder.name, reason=reason, dropped_hints=dropped)
