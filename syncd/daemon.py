"""The daemon's lifecycle: lock, signals, ordered start, READY, watchdog pings tied
to worker health, SIGHUP reload, and an ordered, bounded shutdown.

SIGHUP re-reads the config within a tick: a new ``[b2] bandwidth_limit`` takes effect
at once, in place (transfers under way keep going at the new rate); when nothing else
changed that is all. Any other change, or none at all (a plain reload, which also
re-checks lost roots), rebuilds the app in-process (a new READY); an invalid config is
refused and the daemon serves on with the old one.

Imports ``syncd.app`` and below. Runs in the main thread, which alone installs
signal handlers and holds the instance lock.
"""

from __future__ import annotations

import faulthandler
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from types import FrameType

import structlog

from syncd.app.build import App, build, lock_state
from syncd.app.files import state_path
from syncd.app.live import LIVE_NAME, LiveState, remove_live, write_live
from syncd.app.live import TICK_S as LIVE_TICK_S
from syncd.app.observe import sample_of, start_metrics
from syncd.app.runtime import Runtime
from syncd.app.status import read_status
from syncd.b2 import BandwidthLimiter, CallMeter
from syncd.clock import SystemClock
from syncd.config import Config, load_config
from syncd.errors import ConfigError
from syncd.logs import configure_logging
from syncd.notify import ServiceNotifier

log = structlog.get_logger(__name__)
SHUTDOWN_S = 30.0
TICK_S = LIVE_TICK_S  # the live-state file is rewritten every tick


class Daemon:
    """``syncd run``: owns the stop Event and the reload flag."""

    def __init__(self, config_path: Path) -> None:
        self._path = config_path
        self._stop = threading.Event()
        self._reload = threading.Event()  # set: _serve ends to rebuild with _next
        self._hup = threading.Event()  # a SIGHUP not yet looked at
        self._next: Config | None = None
        self._notifier = ServiceNotifier()
        self._meter = CallMeter()  # B2 calls, counted across reloads (metrics)
        self._limiter: BandwidthLimiter | None = None  # kept across reloads (SIGHUP)

    def _on_signal(self, signum: int, _frame: FrameType | None) -> None:
        if signum == signal.SIGHUP:
            self._hup.set()  # the watch loop reloads within a tick
            return
        self._stop.set()

    def run(self) -> int:
        """Serve until SIGTERM/SIGINT; reload on SIGHUP; return the exit code."""
        config = load_config(self._path)
        configure_logging(config.log, secrets=[config.b2.application_key])
        self._limiter = BandwidthLimiter(config.b2.bandwidth, SystemClock(), self._stop)
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, self._on_signal)
        # `kill -USR1 <pid>` writes every thread's stack to stderr: for hang reports.
        faulthandler.register(signal.SIGUSR1, file=sys.stderr, all_threads=True)
        with lock_state(config), self._notifier:
            while True:
                code = self._serve(config)
                if not self._reload.is_set() or code != 0 or self._next is None:
                    return code
                config, self._next = self._next, None
                self._reload.clear()
                self._stop.clear()
                log.info("config_reloaded")

    def _on_hup(self, config: Config) -> None:
        """Read the config again: apply a new bandwidth limit in place; ask ``run`` to
        rebuild for any other change; refuse an invalid one."""
        try:
            new = load_config(self._path)
        except ConfigError as exc:
            log.error("reload_refused", error=str(exc))
            return
        if new.state.dir != config.state.dir:
            log.error("reload_refused", error="state.dir cannot change while running")
            return
        limiter = self._limiter
        if limiter is not None and new.b2.bandwidth != limiter.schedule:
            limiter.set_schedule(new.b2.bandwidth)
        same_b2 = replace(new.b2, bandwidth=config.b2.bandwidth)
        if new != config and replace(new, b2=same_b2) == config:
            log.info("config_applied_in_place")  # only the limit changed: no rebuild
            return
        self._next = new
        self._reload.set()
        self._stop.set()

    def _serve(self, config: Config) -> int:
        self._notifier.status("starting")
        with build(config, stop=self._stop, meter=self._meter, limiter=self._limiter) as app:
            app.start()
            runtime = Runtime(app)
            live = state_path(config, LIVE_NAME)
            started_ms = app.clock.now_ms()

            def snapshot() -> LiveState:
                return runtime.live_state(started_ms=started_ms)

            metrics = None
            try:
                runtime.start()
                self._notifier.ready(runtime.status_line())
                write_live(live, snapshot())
                metrics = start_metrics(config, lambda: sample_of(read_status(config), snapshot()))
                log.info("daemon_ready", folders=len(app.folders))
                self._watch(app, runtime, lambda: write_live(live, snapshot()))
            finally:
                self._notifier.stopping()
                if metrics is not None:
                    metrics.stop()
                runtime.shutdown(SHUTDOWN_S)
                remove_live(live)
        if app.pool.fatal is not None:
            log.error("daemon_stopped", error=str(app.pool.fatal))
            return app.pool.fatal.exit_code
        return 0

    def _watch(self, app: App, runtime: Runtime, publish: Callable[[], None] | None = None) -> None:
        interval = self._notifier.watchdog_interval_s()
        tick = min(TICK_S, interval) if interval else TICK_S
        while not self._stop.wait(tick):
            if self._hup.is_set():
                self._hup.clear()
                self._on_hup(app.config)
                if self._stop.is_set():
                    break
            window_s = max(app.config.sync.hang_after_s, 3 * tick)
            if app.pool.healthy(max_age_s=window_s) and runtime.healthy():
                self._notifier.watchdog()
            else:
                log.error("daemon_unhealthy", watcher=runtime.healthy())
            self._notifier.status(runtime.status_line())
            try:
                if publish is not None:
                    publish()
            except OSError as exc:  # a full state disk: status shows the daemon stopped
                log.warning("live_state_unwritable", error=str(exc))
