"""The one poll-until helper for tests that wait on real threads or processes."""

from __future__ import annotations

import time
from collections.abc import Callable


def wait_until(
    predicate: Callable[[], bool], timeout_s: float = 30.0, step_s: float = 0.02
) -> bool:
    """Poll ``predicate`` until it is true or the time is up; return its last value."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step_s)
    return predicate()
