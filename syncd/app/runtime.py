"""The daemon's moving parts around an App: watcher, scheduler and workers, started
and stopped in order, plus the one-line status for systemd.

Background passes run at a random offset within each period, chosen once per client and
kept in the journal, so a fleet of clients never lists the bucket at one moment.
"""

from __future__ import annotations

import os

import structlog

from syncd.app.build import App
from syncd.app.live import FolderFacts, LiveState
from syncd.app.prune import prune_app_folders
from syncd.config import Rate
from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.engine import MARKER_NAME
from syncd.schedule import Scheduler
from syncd.watch import Watcher, WatchSettings

log = structlog.get_logger(__name__)


class Runtime:
    """Starts and stops what ``syncd run`` needs beyond ``App``."""

    def __init__(self, app: App) -> None:
        self._app = app
        self._rng = app.rng  # the one seeded rng of the run: jitter stays reproducible
        folders = [rt.config for rt in app.folders.values()]
        self._watcher = Watcher(
            folders,
            sink=app.inbox.record,
            clock=app.clock,
            on_root_lost=self._root_lost,
            on_rescan_needed=self._rescan_needed,
            settings=WatchSettings.of(app.config.sync, extra_excludes=(f"/{MARKER_NAME}",)),
        )
        self._scheduler = Scheduler(app.clock, rng=self._rng)
        self._reconciler = app.reconciler
        self._lost: set[str] = set()

    def _offset(self, name: str, interval_s: float) -> float:
        stored = self._app.journal.state.schedule_offset(name)
        if stored is not None:
            return stored % interval_s
        offset = self._rng.uniform(0, interval_s)
        self._app.journal.state.set_schedule_offset(name, offset)
        return offset

    def _root_lost(self, folder: str) -> None:
        self._lost.add(folder)
        log.error("root_lost", folder=folder)

    def _rescan_needed(self, folder: str, under: RelPath | None) -> None:
        change = LocalChange(
            folder=folder,
            rel_path=under or RelPath(""),
            kind=ChangeKind.SUBTREE,
            observed_ms=self._app.clock.now_ms(),
        )
        self._app.inbox.record([change])

    def _rescan_all(self) -> None:
        for name in self._app.folders:
            self._rescan_needed(name, None)

    def _reconcile_all(self) -> None:
        for name in self._app.folders:
            self._reconciler.reconcile(name)
        self._app.calls.flush()

    def _remote_stale(self) -> bool:
        max_age_ms = int(self._app.config.sync.reconcile_interval_s * 1000)
        return any(self._reconciler.stale(name, max_age_ms) for name in self._app.folders)

    def _prune_all(self) -> None:
        prune_app_folders(self._app)

    def start(self) -> None:
        """Workers first, then the watcher (events are recorded from now on), then the
        scheduler with a rescan right away (it catches what happened while stopped)."""
        sync = self._app.config.sync
        self._app.adopt_new_folders()
        self._app.pool.start()
        self._watcher.start()
        self._scheduler.add_periodic(
            "rescan",
            self._rescan_all,
            interval_s=sync.rescan_interval_s,
            offset_s=self._offset("rescan", sync.rescan_interval_s),
            jitter_s=sync.jitter_s,
        )
        self._scheduler.add_periodic(
            "reconcile",
            self._reconcile_all,
            interval_s=sync.reconcile_interval_s,
            offset_s=self._offset("reconcile", sync.reconcile_interval_s),
            jitter_s=sync.jitter_s,
            run_at_start=self._remote_stale(),  # older than a period, or a walk cut short
        )
        if any(rt.config.retention.is_configured for rt in self._app.folders.values()):
            self._scheduler.add_periodic(  # retention: on the reconcile period, own offset
                "prune",
                self._prune_all,
                interval_s=sync.reconcile_interval_s,
                offset_s=self._offset("prune", sync.reconcile_interval_s),
                jitter_s=sync.jitter_s,
            )
        self._scheduler.start()
        self._rescan_all()

    @property
    def watch_settings(self) -> WatchSettings:
        """The watcher's timings (its delete hold is ``[sync] delete_hold_s``)."""
        return self._watcher.settings

    def healthy(self) -> bool:
        """True while the watcher's and the scheduler's threads live."""
        return self._watcher.healthy() and self._scheduler.healthy()

    def status_line(self) -> str:
        """What systemctl status shows."""
        journal, report = self._app.journal, self._app.report
        parts = [
            f"{journal.pending_count()} pending",
            f"{report.uploaded_files} uploaded",
            f"{len(journal.failures())} failing",
        ]
        if self._lost:
            parts.append("root lost: " + ",".join(sorted(self._lost)))
        if report.paused:
            parts.append("paused: " + report.paused[-1])
        return "; ".join(parts)

    def live_state(self, *, started_ms: int) -> LiveState:
        """What ``syncd status`` shows of this process (the live-state file)."""
        report, limiter = self._app.report, self._app.limiter
        rate = limiter.rate() if limiter else Rate()
        return LiveState(
            pid=os.getpid(),
            started_ms=started_ms,
            updated_ms=self._app.clock.now_ms(),
            uploaded_files=report.uploaded_files,
            uploaded_bytes=report.uploaded_bytes,
            failed_jobs=len(report.failed),
            max_upload_bytes_per_s=rate.up,
            max_download_bytes_per_s=rate.down,
            bandwidth_limit=limiter.schedule.text if limiter else "",
            b2_calls_by_class=self._app.meter.by_class() if self._app.meter else {},
            pool_paused=self._app.pool.paused_reason(),
            lost_roots=tuple(sorted(self._lost)),
            errors_by_class=report.errors_by_class(),
            folders=self._folder_facts(),
        )

    def _folder_facts(self) -> dict[str, FolderFacts]:
        coverage = self._watcher.coverage()
        rescans = self._app.rescanner.last_full
        facts = {}
        for name in self._app.folders:
            rescan = rescans.get(name, (0, 0))
            watched, dirs = coverage.get(name, (0, 0))
            facts[name] = FolderFacts(
                last_rescan_ms=rescan[0],
                rescan_hints=rescan[1],
                watched_dirs=watched,
                dirs=dirs,
            )
        return facts

    def shutdown(self, timeout_s: float) -> None:
        """Producers first, then workers (bounded), then leases released."""
        self._scheduler.shutdown(wait=False)
        self._watcher.stop()
        self._app.stop.set()
        if not self._app.pool.join(timeout_s):
            log.warning("workers_still_busy", timeout_s=timeout_s)
        released = self._app.journal.release_all_leases()
        log.info("daemon_stopped", leases_released=released)
