"""The daemon's watch loop pings the systemd watchdog only while workers and producers
are alive, and keeps the status line fresh either way."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace
from typing import cast

import pytest
from structlog.testing import capture_logs

from syncd.app.build import App
from syncd.app.runtime import Runtime
from syncd.config import SyncConfig
from syncd.daemon import TICK_S, Daemon


class FakeStop:
    """A stop Event whose wait() reports "not set" for ``ticks`` calls, then "set"."""

    def __init__(self, ticks: int) -> None:
        self.ticks = ticks
        self.timeouts: list[float] = []

    def wait(self, timeout: float | None = None) -> bool:
        self.timeouts.append(timeout or 0.0)
        return len(self.timeouts) > self.ticks


class FakeNotifier:
    """Records what would go to systemd."""

    def __init__(self, interval_s: float | None = None) -> None:
        self.sent: list[str] = []
        self.interval_s = interval_s

    def watchdog_interval_s(self) -> float | None:
        return self.interval_s

    def watchdog(self) -> None:
        self.sent.append("WATCHDOG=1")

    def status(self, status: str) -> None:
        self.sent.append(f"STATUS={status}")


class FakePool:
    """A worker pool whose health the test sets."""

    def __init__(self, healthy: bool) -> None:
        self.is_healthy = healthy
        self.max_ages: list[float] = []

    def healthy(self, max_age_s: float) -> bool:
        self.max_ages.append(max_age_s)
        return self.is_healthy


class FakeApp:
    """An App with only a pool."""

    def __init__(self, pool_healthy: bool) -> None:
        self.pool = FakePool(pool_healthy)
        self.config = SimpleNamespace(sync=SyncConfig())


class FakeRuntime:
    """A Runtime whose watcher/scheduler health the test sets."""

    def __init__(self, healthy: bool) -> None:
        self.is_healthy = healthy

    def healthy(self) -> bool:
        return self.is_healthy

    def status_line(self) -> str:
        return "2 pending"


def watch(
    pool_healthy: bool, runtime_healthy: bool, *, ticks: int = 3, interval_s: float | None = None
) -> tuple[FakeNotifier, FakeStop, FakeApp]:
    """Run Daemon._watch for ``ticks`` ticks with fakes; return them for inspection."""
    daemon = Daemon(Path("unused.toml"))
    notifier, stop, app = FakeNotifier(interval_s), FakeStop(ticks), FakeApp(pool_healthy)
    daemon._notifier = notifier  # type: ignore[assignment]
    daemon._stop = stop  # type: ignore[assignment]
    daemon._watch(cast(App, app), cast(Runtime, FakeRuntime(runtime_healthy)))
    return notifier, stop, app


def test_healthy_daemon_pings_every_tick() -> None:
    """With workers and producers alive, each tick sends WATCHDOG=1 and then the status."""
    notifier, stop, _ = watch(pool_healthy=True, runtime_healthy=True, ticks=3)
    assert notifier.sent == ["WATCHDOG=1", "STATUS=2 pending"] * 3
    assert len(stop.timeouts) == 4  # the fourth wait saw stop set


@pytest.mark.parametrize(
    ("pool_healthy", "runtime_healthy"),
    [(False, True), (True, False), (False, False)],
    ids=["workers-dead", "producers-dead", "all-dead"],
)
def test_unhealthy_daemon_never_pings(pool_healthy: bool, runtime_healthy: bool) -> None:
    """With a dead worker or watcher no WATCHDOG=1 goes out; STATUS does, unhealthy logged."""
    with capture_logs() as logs:
        notifier, _, _ = watch(pool_healthy, runtime_healthy, ticks=2)
    assert notifier.sent == ["STATUS=2 pending"] * 2
    unhealthy = [e for e in logs if e["event"] == "daemon_unhealthy"]
    assert len(unhealthy) == 2
    assert all(e["log_level"] == "error" for e in unhealthy)


def test_no_tick_after_stop() -> None:
    """A stop set before the first tick sends nothing."""
    notifier, stop, app = watch(pool_healthy=True, runtime_healthy=True, ticks=0)
    assert notifier.sent == []
    assert app.pool.max_ages == []
    assert len(stop.timeouts) == 1


@pytest.mark.parametrize(
    ("interval_s", "tick_s", "max_age_s"),
    [
        (None, TICK_S, 60.0),  # no systemd watchdog: the default tick
        (1.0, 1.0, 60.0),  # WatchdogSec=2: ping every second
        (30.0, TICK_S, 60.0),  # a long watchdog period still ticks at TICK_S
    ],
    ids=["no-watchdog", "short-watchdog", "long-watchdog"],
)
def test_tick_follows_the_watchdog_interval(
    interval_s: float | None, tick_s: float, max_age_s: float
) -> None:
    """The loop ticks at min(TICK_S, watchdog interval); window max(hang_after_s, 3 ticks)."""
    _, stop, app = watch(pool_healthy=True, runtime_healthy=True, ticks=2, interval_s=interval_s)
    assert stop.timeouts == [tick_s] * 3
    assert app.pool.max_ages == [max_age_s] * 2
