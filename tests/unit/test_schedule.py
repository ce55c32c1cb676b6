"""The scheduler: a monotonic timetable (pure) and its hand-off to APScheduler, which
must keep its cadence while the wall clock jumps."""

from __future__ import annotations

import itertools
import random
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, tzinfo

import apscheduler.executors.base
import apscheduler.schedulers.base
import apscheduler.triggers.date
import apscheduler.triggers.interval
import pytest
from apscheduler.executors.debug import DebugExecutor
from apscheduler.schedulers.base import BaseScheduler

import syncd.schedule
from syncd.clock import SystemClock
from syncd.schedule import Scheduler, Timetable, first_delay_s
from tests.support.fake_clock import FakeClock

HOUR_MS = 3_600_000


@pytest.mark.parametrize(
    ("now_ms", "interval_s", "offset_s", "delay_s"),
    [
        (0, 3600, 0, 0),
        (0, 3600, 600, 600),
        (700_000, 3600, 600, 3500),
        (HOUR_MS * 10 + 1000, 3600, 1.5, 0.5),
        (86_400_000 * 3 + 5_000, 86400, 86399, 86394),
    ],
)
def test_first_delay_reaches_the_clients_moment(
    now_ms: int, interval_s: float, offset_s: float, delay_s: float
) -> None:
    """The first run is at offset_s into the current or next wall-clock period."""
    assert first_delay_s(now_ms, interval_s, offset_s) == pytest.approx(delay_s)


def table(**kw: float) -> Timetable:
    """A timetable with one job 'j' added at monotonic 100 s, wall time 0."""
    tt = Timetable(random.Random(7))
    args = {"interval_s": 10.0, "offset_s": 3.0, "jitter_s": 0.0}
    args.update(kw)
    run_at_start = bool(args.pop("run_at_start", 0))
    tt.add("j", now_s=100.0, now_ms=0, run_at_start=run_at_start, **args)
    return tt


def drive(tt: Timetable, until_s: float, *, step_s: float = 0.5, run_s: float = 0.0) -> list[float]:
    """Step monotonic time to ``until_s``; each run lasts ``run_s``; return start times."""
    starts: list[float] = []
    ends: list[float] = []
    now = 100.0
    while now <= until_s:
        if ends and now >= ends[0]:
            ends.pop(0)
            tt.finished("j", duration_ms=int(run_s * 1000))
        for _ in tt.due(now):
            starts.append(now)
            ends.append(now + run_s)
        now = round(now + step_s, 6)
    return starts


def test_runs_every_interval_from_the_offset() -> None:
    """First run at the offset, then one per interval on the monotonic clock."""
    assert drive(table(), 140.0) == [103.0, 113.0, 123.0, 133.0]


def test_run_at_start_then_the_cadence() -> None:
    """run_at_start gives an immediate run, then the aligned slots."""
    assert drive(table(run_at_start=1), 125.0) == [100.0, 103.0, 113.0, 123.0]


def test_jitter_stays_within_bounds_and_does_not_accumulate() -> None:
    """Each run lands in [slot, slot + jitter]; slots stay on the interval grid."""
    starts = drive(table(jitter_s=4.0), 1100.0, step_s=0.25)
    assert len(starts) == 100
    for i, start in enumerate(starts):
        assert 103.0 + 10 * i <= start <= 103.0 + 10 * i + 4.0


def test_overlapping_run_skips_slots_without_a_burst() -> None:
    """A run longer than the interval skips the slots it overlaps; none are made up."""
    tt = table()
    starts = drive(tt, 200.0, run_s=25.0)
    assert starts == [103.0, 133.0, 163.0, 193.0]
    assert tt.status(200.0)["j"].skipped_slots >= 6


def test_long_pause_gives_one_run_not_many() -> None:
    """After monotonic time leaps past many slots, exactly one run follows."""
    tt = table()
    assert tt.due(103.0) == ["j"]
    tt.finished("j", duration_ms=1)
    assert tt.due(1000.0) == ["j"]
    tt.finished("j", duration_ms=1)
    assert tt.due(1000.5) == []
    assert tt.next_in_s(1000.5) == pytest.approx(2.5)


def test_run_soon_while_running_queues_exactly_one_more() -> None:
    """Requests during a run collapse into one run right after it finishes."""
    tt = table()
    assert tt.due(103.0) == ["j"]
    tt.request("j")
    tt.request("j")
    assert tt.due(104.0) == []
    tt.finished("j", duration_ms=1000)
    assert tt.next_in_s(104.0) == 0.0
    assert tt.due(104.0) == ["j"]
    tt.finished("j", duration_ms=1)
    assert tt.due(104.5) == []


def test_bad_or_duplicate_jobs_are_refused() -> None:
    """A non-positive interval, negative jitter or a repeated name raises ValueError."""
    tt = table()
    with pytest.raises(ValueError, match="duplicate"):
        tt.add("j", interval_s=1, offset_s=0, jitter_s=0, now_s=0, now_ms=0)
    with pytest.raises(ValueError, match="bad"):
        tt.add("k", interval_s=0, offset_s=0, jitter_s=0, now_s=0, now_ms=0)
    with pytest.raises(ValueError, match="bad"):
        tt.add("k", interval_s=1, offset_s=0, jitter_s=-1, now_s=0, now_ms=0)


# -- the wall clock jumps; APScheduler really runs, driven by hand on a fake clock ------

_CLOCK: list[FakeClock] = []


class FakeWallDatetime(datetime):
    """datetime whose now() is the fake clock's wall time (which a test may step)."""

    @classmethod
    def now(cls, tz: tzinfo | None = None) -> FakeWallDatetime:
        """The fake clock's wall time."""
        return cls.fromtimestamp(_CLOCK[0].now_ms() / 1000, tz)


class HandDriven(BaseScheduler):  # type: ignore[misc]
    """APScheduler with no thread of its own: due jobs run, in the caller's thread, when
    the test calls ``run_due`` (what its loop does when it wakes)."""

    def __init__(self) -> None:
        super().__init__(
            executors={"default": DebugExecutor()},
            job_defaults=syncd.schedule.JOB_DEFAULTS,
            timezone=UTC,
        )

    def shutdown(self, wait: bool = True) -> None:
        """Stop it (nothing runs in the background)."""
        super().shutdown(wait)

    def wakeup(self) -> None:
        """Nothing to wake: the test calls run_due."""

    def run_due(self) -> None:
        """Run every job that is due now."""
        self._process_jobs()


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """One fake clock for syncd and for APScheduler's idea of the wall time."""
    for module in (
        apscheduler.schedulers.base,
        apscheduler.executors.base,
        apscheduler.triggers.date,
        apscheduler.triggers.interval,
        syncd.schedule,
    ):
        monkeypatch.setattr(module, "datetime", FakeWallDatetime)
    _CLOCK[:] = [FakeClock()]
    yield _CLOCK[0]
    _CLOCK.clear()


def step(clock: FakeClock, scheduler: Scheduler | None, aps: HandDriven, ms: int = 50) -> None:
    """One turn of both loops: time passes, the driver hands over, APScheduler runs."""
    clock.advance(ms)
    if scheduler is not None:
        scheduler.tick()
    aps.run_due()


def steps_until(
    done: Callable[[], bool], clock: FakeClock, scheduler: Scheduler, aps: HandDriven
) -> bool:
    """Turn both loops until ``done`` (at most 5 fake seconds); whether it got there."""
    for _ in range(100):
        if done():
            return True
        step(clock, scheduler, aps)
    return done()


def test_plain_apscheduler_stalls_when_the_wall_clock_steps_back(clock: FakeClock) -> None:
    """The hazard itself: an APScheduler interval job stops after a -2 h step."""
    runs: list[float] = []
    aps = HandDriven()
    aps.add_job(lambda: runs.append(clock.monotonic()), "interval", seconds=0.1)
    aps.start()
    try:
        for _ in range(10):
            step(clock, None, aps)
        assert len(runs) >= 3
        clock.step_wall(-2 * HOUR_MS)
        step(clock, None, aps)  # let a run scheduled before the step drain
        before = len(runs)
        for _ in range(16):
            step(clock, None, aps)
        assert len(runs) == before
    finally:
        aps.shutdown(wait=False)


def test_cadence_survives_wall_clock_steps_back_and_forward(clock: FakeClock) -> None:
    """Wall-clock steps of -2 h and +25 h neither stall nor burst the monotonic cadence."""
    starts: list[float] = []
    aps = HandDriven()
    scheduler = Scheduler(clock, rng=random.Random(1), runner=aps)
    scheduler.add_periodic(
        "rescan",
        lambda: starts.append(clock.monotonic()),
        interval_s=0.3,
        offset_s=0.0,
        jitter_s=0.0,
    )
    aps.start()
    try:
        t0 = clock.monotonic()
        assert steps_until(lambda: len(starts) >= 3, clock, scheduler, aps)
        clock.step_wall(-2 * HOUR_MS)
        assert steps_until(lambda: len(starts) >= 7, clock, scheduler, aps)
        clock.step_wall(25 * HOUR_MS)
        assert steps_until(lambda: len(starts) >= 11, clock, scheduler, aps)
        elapsed = clock.monotonic() - t0
    finally:
        scheduler.shutdown(wait=True)
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    assert min(gaps) >= 0.2, gaps
    assert max(gaps) <= 0.5, gaps
    assert len(starts) <= elapsed / 0.3 + 2
    assert scheduler.status()["rescan"].skipped_slots == 0


def test_a_hand_off_stuck_behind_a_step_back_is_handed_over_again_once(
    clock: FakeClock,
) -> None:
    """A run handed over just before the wall clock stepped back still starts, once."""
    starts: list[float] = []
    aps = HandDriven()
    scheduler = Scheduler(clock, runner=aps)
    scheduler.add_periodic(
        "rescan",
        lambda: starts.append(clock.monotonic()),
        interval_s=3600,
        offset_s=0,
        jitter_s=0,
        run_at_start=True,
    )
    aps.start()
    try:
        assert scheduler.tick() == ["rescan"]
        clock.step_wall(-2 * HOUR_MS)  # APScheduler now sees the run 2 h ahead
        aps.run_due()
        assert starts == []
        assert steps_until(lambda: len(starts) == 1, clock, scheduler, aps)
        for _ in range(20):
            step(clock, scheduler, aps)
        assert len(starts) == 1
    finally:
        scheduler.shutdown(wait=True)


def test_run_soon_runs_promptly_and_failures_keep_the_schedule(clock: FakeClock) -> None:
    """run_soon starts a run within a tick; a job that raises keeps running on cadence."""
    calls: list[float] = []

    def flaky() -> None:
        calls.append(clock.monotonic())
        raise RuntimeError("job fault")

    aps = HandDriven()
    scheduler = Scheduler(clock, runner=aps)
    scheduler.add_periodic(
        "reconcile", flaky, interval_s=3600, offset_s=0, jitter_s=0, run_at_start=True
    )
    aps.start()
    try:
        assert steps_until(lambda: len(calls) == 1, clock, scheduler, aps)
        assert not scheduler.status()["reconcile"].running
        scheduler.run_soon("reconcile")
        step(clock, scheduler, aps)
        assert len(calls) == 2
        clock.advance(3600 * 1000)
        step(clock, scheduler, aps)
        assert len(calls) == 3
    finally:
        scheduler.shutdown(wait=True)


@pytest.mark.integration
def test_the_driver_thread_is_healthy_until_shutdown() -> None:
    """healthy() is True while the driver runs and False once shutdown returns."""
    scheduler = Scheduler(SystemClock(), tick_s=60.0, runner=HandDriven())
    scheduler.start()
    try:
        assert scheduler.healthy()
    finally:
        scheduler.shutdown(wait=True)
    assert not scheduler.healthy()
