"""RetryPolicy arithmetic and the shared Pacer."""

from __future__ import annotations

import random
import threading

from syncd.b2.retry import Pacer, RetryPolicy
from syncd.errors import RateLimitedError, RemoteTransientError
from tests.support.fake_clock import FakeClock


def policy(**kw):
    return RetryPolicy(
        max_attempts=kw.get("max_attempts", 5), base_s=1.0, cap_s=8.0, rng=random.Random(1)
    )


def test_full_jitter_stays_under_exponential_ceiling():
    """Backoff n is uniform in [0, min(cap, base·2^(n-1))]."""
    p = policy()
    for attempt, ceiling in [(1, 1), (2, 2), (3, 4), (4, 8), (5, 8), (60, 8)]:
        samples = [p.backoff_s(attempt) for _ in range(200)]
        assert all(0 <= s <= ceiling for s in samples)
        assert max(samples) > ceiling * 0.8


def test_jitter_is_reproducible_from_the_injected_rng():
    """The same seed gives the same waits (no global random)."""
    a = RetryPolicy(max_attempts=5, base_s=1, cap_s=8, rng=random.Random(3))
    b = RetryPolicy(max_attempts=5, base_s=1, cap_s=8, rng=random.Random(3))
    assert [a.backoff_s(3) for _ in range(5)] == [b.backoff_s(3) for _ in range(5)]


def test_retry_after_wins_and_is_capped():
    """A server's Retry-After is used as is, up to the cap."""
    p = policy()
    assert p.delay_s(1, RateLimitedError("x", status=429, retry_after_s=7.0)) == 7.0
    assert p.delay_s(1, RemoteTransientError("x", status=503, retry_after_s=1000.0)) == 300.0


def test_throttle_without_retry_after_waits_at_least_one_second():
    """A 429/503 with no usable Retry-After still waits ≥ 1 s."""
    p = policy()
    assert all(p.delay_s(1, RateLimitedError("x", status=429)) >= 1.0 for _ in range(50))
    assert all(p.delay_s(1, RemoteTransientError("x", status=503)) >= 1.0 for _ in range(50))


def test_attempt_budget():
    """allows() is true until max_attempts."""
    p = policy(max_attempts=3)
    assert [p.allows(n) for n in (1, 2, 3)] == [True, True, False]


def test_pacer_holds_until_deadline_and_only_moves_later():
    """After block(5), wait_turn waits the remaining time; a shorter block does not shorten it."""
    clock = FakeClock()
    pacer = Pacer(clock, threading.Event())
    pacer.block("upload", 5.0)
    pacer.block("upload", 1.0)
    start = clock.monotonic()
    assert pacer.wait_turn("upload")
    assert clock.monotonic() - start >= 5.0
    assert pacer.wait_turn("api")
    assert clock.monotonic() - start == 5.0


def test_pacer_wait_ends_on_stop():
    """A set stop event ends a paced wait with False."""
    stop = threading.Event()
    stop.set()
    clock = FakeClock()
    pacer = Pacer(clock, stop)
    pacer.block("api", 30)
    assert pacer.wait_turn("api") is False
