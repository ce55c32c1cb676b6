"""The watcher's monitor: a thread that checks each root's identity and each folder's
threads every second (restarting dead emitters a few times), and now and then the
watch coverage, turning every blind spot into a rescan request."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import structlog

from syncd.clock import Clock
from syncd.domain import RelPath
from syncd.watch.folder import FolderWatch
from syncd.watch.inotify import MAX_LISTED, Coverage, watch_limit_advice

log = structlog.get_logger(__name__)
_ROOT = RelPath("")


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorHooks:
    """What the monitor asks of its watcher, and the watcher's own callbacks."""

    lose: Callable[[FolderWatch, str], None]  # mark a root lost, drop its pending hints
    rescan: Callable[[FolderWatch, list[RelPath]], None]
    start_folder: Callable[[FolderWatch], None]
    on_root_lost: Callable[[str], None]
    on_coverage_gap: Callable[[str, Coverage], None]


@dataclass(frozen=True, slots=True, kw_only=True)
class MonitorTimes:
    """How often the monitor looks."""

    health_interval_s: float  # root and thread checks
    coverage_first_s: float  # first watch-coverage check after start
    coverage_interval_s: float  # later checks; also the poll of unwatched dirs
    max_restarts: int  # emitter restarts per folder before giving up


class Monitor:
    """Checks the folders of one watcher; ``loop`` runs on the watcher's monitor thread."""

    def __init__(
        self,
        folders: Mapping[str, FolderWatch],
        clock: Clock,
        stopping: threading.Event,
        times: MonitorTimes,
        hooks: MonitorHooks,
    ) -> None:
        self._folders = folders
        self._clock = clock
        self._stopping = stopping
        self._times = times
        self._hooks = hooks

    def loop(self) -> None:
        """Check health every interval and coverage now and then, until stopped."""
        next_coverage = self._clock.monotonic() + self._times.coverage_first_s
        while not self._clock.wait(self._times.health_interval_s, self._stopping):
            self.check_health()
            if self._clock.monotonic() >= next_coverage:
                for name in self._folders:
                    self.check_coverage(name)
                next_coverage = self._clock.monotonic() + self._times.coverage_interval_s

    def check_health(self) -> None:
        """Check each root's identity and each folder's threads; restart dead emitters."""
        for folder in self._folders.values():
            if self._stopping.is_set():
                return
            if not folder.lost and not folder.root_intact():
                self._hooks.lose(folder, "root missing, moved or replaced")
            if folder.lost:
                folder.stop(2.0)
                if not folder.notified:
                    folder.notified = True
                    self._hooks.on_root_lost(folder.name)
            elif folder.observer is not None and not folder.alive():
                self._restart(folder)

    def _restart(self, folder: FolderWatch) -> None:
        folder.stop(2.0)
        if folder.restarts >= self._times.max_restarts:
            if not folder.dead:
                folder.dead = True
                log.error("watch_died", folder=folder.name, restarts=folder.restarts)
            return
        folder.restarts += 1
        log.warning("watch_restarted", folder=folder.name, restarts=folder.restarts)
        self._hooks.start_folder(folder)
        self._hooks.rescan(folder, [_ROOT])

    def check_coverage(self, name: str) -> Coverage | None:
        """Compare live inotify watches with the directories on disk; on a gap, report
        it and queue rescans of the unwatched directories (the poll that stands in for
        the missing watches). None when it cannot be measured (not inotify, lost)."""
        folder = self._folders[name]
        cov = None if folder.lost or folder.dead else folder.measure()
        if cov is None:
            return None
        before, folder.coverage = folder.coverage, cov
        if cov.gap:
            whole = not cov.exact or not cov.unwatched or len(cov.unwatched) >= MAX_LISTED
            targets = [_ROOT] if whole else list(cov.unwatched)
            self._hooks.rescan(folder, targets)
            if before is None or before.gap != cov.gap:
                log.warning(
                    "watch_coverage_gap",
                    folder=name,
                    watched=cov.watched,
                    directories=cov.directories,
                    unwatched=cov.gap,
                    advice=watch_limit_advice(cov.directories),
                )
                self._hooks.on_coverage_gap(name, cov)
        elif before is not None and before.gap:
            log.info("watch_coverage_restored", folder=name, directories=cov.directories)
        return cov
