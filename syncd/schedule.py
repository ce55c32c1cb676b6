"""Periodic background work (rescans, remote reconciles) at a per-client moment of
each period, timed on the monotonic clock and run by APScheduler.

Imports ``syncd.clock``; the only importer of ``apscheduler``. APScheduler 3 times
jobs on the wall clock: a step back stalls them until the clock catches up, a big
step forward makes it walk every missed run (apscheduler #351, #526, #1066). So
APScheduler only *executes* here (its thread pool, ``coalesce=True``,
``max_instances=1``); when a job is due is decided by ``Timetable`` from monotonic
deadlines, and a driver thread hands due jobs over as one-shot "run now" jobs.

Each job runs at ``offset_s`` into each period of the wall clock, taken once when the
job is added (so clients spread their load over the period), then every
``interval_s`` on the monotonic clock, each run delayed by a fresh random jitter in
``[0, jitter_s]`` that never accumulates. A run that overlaps its next slot skips that
slot (no burst of missed runs); ``run_soon`` during a run queues exactly one more.
Note: CLOCK_MONOTONIC stops during suspend, so after a resume the cadence continues
where it was; callers that care call ``run_soon`` on resume.
"""

from __future__ import annotations

import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

import structlog
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import BaseScheduler

from syncd.clock import Clock

log = structlog.get_logger(__name__)
JUMP_TOLERANCE_S = 2.0
# APScheduler only executes hand-offs: one at a time each, run however late they start
JOB_DEFAULTS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": None}


def first_delay_s(now_ms: int, interval_s: float, offset_s: float) -> float:
    """Seconds from ``now_ms`` to the next wall-clock moment at ``offset_s`` into a
    period of ``interval_s`` (periods counted from the Unix epoch)."""
    phase = (now_ms / 1000) % interval_s
    return (offset_s - phase) % interval_s


@dataclass(frozen=True, slots=True, kw_only=True)
class JobStatus:
    """What status output shows about one periodic job."""

    name: str
    runs: int
    skipped_slots: int
    running: bool
    next_in_s: float
    last_duration_ms: int | None


@dataclass(slots=True)
class _Entry:
    name: str
    interval_s: float
    jitter_s: float
    base_s: float  # monotonic time of slot 0
    slot: int = 0
    due_s: float = 0.0
    requested: bool = False
    running: bool = False
    runs: int = 0
    skipped: int = 0
    last_duration_ms: int | None = None


class Timetable:
    """When each job is due, on monotonic seconds only. Pure and not thread-safe."""

    def __init__(self, rng: random.Random) -> None:
        self._rng = rng
        self._entries: dict[str, _Entry] = {}

    def add(
        self,
        name: str,
        *,
        interval_s: float,
        offset_s: float,
        jitter_s: float,
        now_s: float,
        now_ms: int,
        run_at_start: bool = False,
    ) -> None:
        """Add a job whose first slot is the next wall-clock moment at ``offset_s``."""
        if interval_s <= 0 or jitter_s < 0 or name in self._entries:
            raise ValueError(f"bad or duplicate periodic job {name!r}")
        base_s = now_s + first_delay_s(now_ms, interval_s, offset_s % interval_s)
        entry = _Entry(
            name=name,
            interval_s=interval_s,
            jitter_s=min(jitter_s, interval_s),
            base_s=base_s,
            requested=run_at_start,
        )
        self._schedule(entry, 0)
        self._entries[name] = entry

    def _schedule(self, entry: _Entry, slot: int) -> None:
        entry.slot = slot
        jitter = self._rng.uniform(0.0, entry.jitter_s) if entry.jitter_s else 0.0
        entry.due_s = entry.base_s + slot * entry.interval_s + jitter

    def _next_slot(self, entry: _Entry, now_s: float) -> int:
        """The first slot that starts after ``now_s``; missed slots are not made up."""
        return max(entry.slot + 1, math.floor((now_s - entry.base_s) / entry.interval_s) + 1)

    def request(self, name: str) -> None:
        """Run ``name`` as soon as it is not running (one extra run, however often asked)."""
        self._entries[name].requested = True

    def due(self, now_s: float) -> list[str]:
        """The jobs to start now; they count as running until ``finished``."""
        started = []
        for entry in self._entries.values():
            slot_passed = now_s >= entry.due_s
            if entry.running:
                if slot_passed:  # coalesce: the overlapped slot is skipped, not queued
                    entry.skipped += 1
                    self._schedule(entry, self._next_slot(entry, now_s))
                continue
            if slot_passed or entry.requested:
                if slot_passed:
                    self._schedule(entry, self._next_slot(entry, now_s))
                entry.requested = False
                entry.running = True
                entry.runs += 1
                started.append(entry.name)
        return started

    def finished(self, name: str, *, duration_ms: int) -> None:
        """Record the end of a run."""
        entry = self._entries[name]
        entry.running = False
        entry.last_duration_ms = duration_ms

    def next_in_s(self, now_s: float) -> float | None:
        """Seconds until the earliest deadline of a job that is not running."""
        waits = [
            0.0 if e.requested else e.due_s - now_s for e in self._entries.values() if not e.running
        ]
        return max(0.0, min(waits)) if waits else None

    def status(self, now_s: float) -> dict[str, JobStatus]:
        """A snapshot per job."""
        return {
            e.name: JobStatus(
                name=e.name,
                runs=e.runs,
                skipped_slots=e.skipped,
                running=e.running,
                next_in_s=max(0.0, e.due_s - now_s),
                last_duration_ms=e.last_duration_ms,
            )
            for e in self._entries.values()
        }


@dataclass(slots=True)
class _Handoff:
    """A run handed to APScheduler and not started yet."""

    mono_s: float
    wall_ms: int
    job_id: str
    started: bool = False


class Scheduler:
    """Runs plain callables periodically; thread-safe."""

    def __init__(
        self,
        clock: Clock,
        *,
        rng: random.Random | None = None,
        tick_s: float = 1.0,
        threads: int = 2,
        runner: BaseScheduler | None = None,
    ) -> None:
        """``runner`` is the APScheduler that executes the runs: by default a
        BackgroundScheduler with ``threads`` threads; tests pass one they drive by hand
        (with ``JOB_DEFAULTS`` and UTC)."""
        self._clock = clock
        self._tick_s = tick_s
        self._table = Timetable(rng or random.Random())
        self._funcs: dict[str, Callable[[], None]] = {}
        self._handoffs: dict[str, _Handoff] = {}
        self._seq = 0
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = threading.Event()
        self._driver: threading.Thread | None = None
        self._offset_ms = clock.now_ms() - int(clock.monotonic() * 1000)
        self._aps = (
            runner
            if runner is not None
            else BackgroundScheduler(
                executors={"default": ThreadPoolExecutor(threads)},
                job_defaults=JOB_DEFAULTS,
                timezone=UTC,
            )
        )

    def add_periodic(
        self,
        name: str,
        func: Callable[[], None],
        *,
        interval_s: float,
        offset_s: float,
        jitter_s: float,
        run_at_start: bool = False,
    ) -> None:
        """Run ``func`` every ``interval_s`` at ``offset_s`` into each period, plus up to
        ``jitter_s`` of random delay; also right after start if ``run_at_start``."""
        with self._lock:
            self._table.add(
                name,
                interval_s=interval_s,
                offset_s=offset_s,
                jitter_s=jitter_s,
                now_s=self._clock.monotonic(),
                now_ms=self._clock.now_ms(),
                run_at_start=run_at_start,
            )
            self._funcs[name] = func
        self._wake.set()

    def run_soon(self, name: str) -> None:
        """Run ``name`` now, or right after its current run (e.g. after an overflow)."""
        with self._lock:
            self._table.request(name)
        self._wake.set()

    def start(self) -> None:
        """Start APScheduler's executor and the monotonic driver thread."""
        self._aps.start()
        self._driver = threading.Thread(target=self._drive, name="syncd-schedule", daemon=True)
        self._driver.start()

    def shutdown(self, wait: bool) -> None:
        """Stop handing out runs; with ``wait``, let running jobs finish."""
        self._stopping.set()
        self._wake.set()
        if self._driver is not None:
            self._driver.join(5.0)
        if self._aps.running:
            self._aps.shutdown(wait=wait)

    def healthy(self) -> bool:
        """True while the driver thread runs."""
        return self._driver is not None and self._driver.is_alive()

    def status(self) -> dict[str, JobStatus]:
        """A snapshot per job, for status output."""
        with self._lock:
            return self._table.status(self._clock.monotonic())

    def tick(self) -> list[str]:
        """Hand every due job to APScheduler; return their names (the driver's step)."""
        now_s, now_ms = self._clock.monotonic(), self._clock.now_ms()
        self._note_jump(now_s, now_ms)
        with self._lock:
            due = self._table.due(now_s)
            stuck = [
                n
                for n, h in self._handoffs.items()
                if not h.started
                and abs((now_ms - h.wall_ms) / 1000 - (now_s - h.mono_s)) > JUMP_TOLERANCE_S
            ]
            for name in due:
                self._seq += 1
                self._handoffs[name] = _Handoff(
                    mono_s=now_s, wall_ms=now_ms, job_id=f"{name}#{self._seq}"
                )
            for name in stuck:  # the wall clock stepped between hand-off and start
                self._handoffs[name].mono_s, self._handoffs[name].wall_ms = now_s, now_ms
            handoffs = [(name, self._handoffs[name]) for name in (*due, *stuck)]
        # One APScheduler job per hand-off: its own max_instances bookkeeping may lag the
        # end of a run, so "one at a time" is kept by the Timetable. A stuck hand-off is
        # replaced under the same id, so it cannot run twice.
        for name, handoff in handoffs:
            self._aps.add_job(
                self._run,
                trigger="date",
                run_date=datetime.now(UTC),
                args=(name,),
                id=handoff.job_id,
                name=name,
                replace_existing=True,
            )
        return due

    def _note_jump(self, now_s: float, now_ms: int) -> None:
        offset_ms = now_ms - int(now_s * 1000)
        if abs(offset_ms - self._offset_ms) > JUMP_TOLERANCE_S * 1000:
            log.warning("wall_clock_jumped", delta_s=round((offset_ms - self._offset_ms) / 1000))
        self._offset_ms = offset_ms

    def _drive(self) -> None:
        while not self._stopping.is_set():
            self.tick()
            with self._lock:
                wait = self._table.next_in_s(self._clock.monotonic())
            self._clock.wait(
                min(self._tick_s, wait if wait is not None else self._tick_s), self._wake
            )
            self._wake.clear()

    def _run(self, name: str) -> None:
        with self._lock:
            handoff = self._handoffs.get(name)
            if handoff is None or handoff.started:
                return  # a duplicate hand-off after a clock step: the run already started
            handoff.started = True
        start_s = self._clock.monotonic()
        log.info("job_started", job=name)
        try:
            self._funcs[name]()
        except Exception:  # a failing job must not stop its schedule
            log.exception("job_failed", job=name)
        finally:
            duration_ms = int((self._clock.monotonic() - start_s) * 1000)
            with self._lock:
                self._table.finished(name, duration_ms=duration_ms)
                self._handoffs.pop(name, None)
            log.info("job_finished", job=name, duration_ms=duration_ms)
            self._wake.set()
