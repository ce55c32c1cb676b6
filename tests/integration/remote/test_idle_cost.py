"""What an idle day costs: the daemon's own Runtime (watcher, scheduler, workers,
reconcile) on a clock that jumps ahead on every wait, over a synced folder that does
not change. The only B2 calls allowed are the reconcile walk's listings: one per 1,000
versions per reconcile, and nothing else. The default run uses 2,000 files
(``SYNCD_IDLE_FILES`` changes it); ``-m soak`` runs 100,000."""

from __future__ import annotations

import os
import random
import threading

import pytest

from syncd.app.build import App, build
from syncd.app.runtime import Runtime
from syncd.config import load_config
from syncd.emulator import EmulatorServer
from tests.support.fake_clock import FakeClock
from tests.support.harness import KEY_ENV, Setup, wait_until

DAY_MS = 86_400_000
pytestmark = pytest.mark.integration


def idle_day(setup: Setup, emulator: EmulatorServer, files: int,
             monkeypatch: pytest.MonkeyPatch) -> tuple[dict[str, int], int]:  # fmt: skip
    """Sync ``files`` files, then run the daemon's Runtime for a simulated day (and
    until a walk that is under way ends); the B2 calls made, by name, and the number of
    reconcile walks that ran."""
    for i in range(files):
        sub = setup.root / f"d{i % 100:02d}"
        sub.mkdir(exist_ok=True)
        (sub / f"f{i:06d}.txt").write_bytes(b"x%d\n" % i)
    monkeypatch.setenv(KEY_ENV, setup.key)
    config = load_config(setup.config)
    [folder] = [f.name for f in config.folders]
    clock = FakeClock()
    app = build(config, clock=clock, rng=random.Random(7), stop=threading.Event(), immediate=True)
    try:
        app.start()
        report = app.run_once()
        assert report.uploaded_files == files
        emulator.reset_stats()
        start = clock.now_ms()
        walks_before = walk_number(app, folder)
        runtime = Runtime(app)
        runtime.start()
        try:
            assert wait_until(lambda: clock.now_ms() - start >= DAY_MS, 1800)
            # the day's walk may start as the day ends (an idle watcher sleeps 5 s a
            # wait, so this clock runs fast): wait for it to have run to its end
            assert wait_until(
                lambda: walk_number(app, folder) > walks_before and not walking(app, folder),
                1800,
            )
        finally:
            runtime.shutdown(timeout_s=30)
        assert app.report.uploaded_files == files  # nothing more was sent all day
        walks = walk_number(app, folder) - walks_before
    finally:
        app.close()
    return dict(emulator.stats()["calls"]), walks


def walk_number(app: App, folder: str) -> int:
    """The number of the folder's latest reconcile walk."""
    walk = app.journal.remote.walk(folder)
    return 0 if walk is None else walk.walk


def walking(app: App, folder: str) -> bool:
    """True while a reconcile walk of the folder is under way."""
    walk = app.journal.remote.walk(folder)
    return walk is not None and walk.running


@pytest.mark.parametrize(
    "files",
    [
        int(os.environ.get("SYNCD_IDLE_FILES", "2000")),
        pytest.param(100_000, marks=[pytest.mark.soak, pytest.mark.timeout(3600)]),
    ],
)
def test_an_idle_day_costs_only_the_reconcile_listing(
    setup: Setup, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch, files: int
) -> None:
    """A day of an unchanged folder: at most one list call per 1,000 versions per reconcile."""
    calls, walks = idle_day(setup, emulator, files, monkeypatch)
    listings = calls.pop("b2_list_file_versions", 0)
    per_walk = -(-files // 1000)
    print(f"idle day, {files} files: {walks} walks, {listings} list calls, other {calls}")
    assert walks in (1, 2)  # the daily slot (twice if the day straddles two slots)
    assert listings == walks * per_walk
    assert calls == {}
