"""Worker steps and their bounds: who is hung, and how long a B2 step may wait."""

from __future__ import annotations

from syncd.clock import RETRY_AFTER_CAP_S
from syncd.config import B2Config, SyncConfig
from syncd.engine.health import Steps, remote_bound_s
from tests.support.fake_clock import FakeClock


def test_progress_restarts_the_bound_of_a_step() -> None:
    """A step is hung only when the time since its last progress passes its bound."""
    clock = FakeClock()
    steps = Steps(clock)
    steps.enter("w0", "plan")
    steps.enter("w1", "send", 300.0)
    clock.advance(50_000)
    steps.progress("w0")
    clock.advance(50_000)
    assert steps.hung(60.0) == {}
    clock.advance(11_000)
    assert steps.hung(60.0) == {"w0": ("plan", 61.0)}
    clock.advance(200_000)
    assert set(steps.hung(60.0)) == {"w0", "w1"}
    steps.leave("w0")
    steps.progress("w1")
    assert steps.hung(60.0) == {}


def test_remote_bound_is_the_retry_budget_capped_by_the_lease() -> None:
    """A B2 step may take every attempt's timeouts and waits, but never past the lease."""
    b2 = B2Config(
        key_id="k",
        application_key="s",
        key_source="env:K",
        max_attempts=2,
        connect_timeout_s=5.0,
        read_timeout_s=10.0,
        upload_read_timeout_s=20.0,
        backoff_cap_s=1.0,
    )
    budget = 2 * (5.0 + 20.0 + RETRY_AFTER_CAP_S)
    assert remote_bound_s(SyncConfig(lease_s=10_000.0), b2) == budget
    assert remote_bound_s(SyncConfig(lease_s=600.0), b2) == 600.0
