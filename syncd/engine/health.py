"""What each worker is doing, and until when that is normal: the daemon's liveness.

Imports ``syncd.clock`` and ``syncd.config``. A worker enters a step (idle, plan,
scan, send, record) and reports progress (a chunk hashed or sent, a directory
scanned); each report restarts the step's bound. A worker is hung only when the
time since its last progress exceeds the bound of the step it is in:

* local steps (a turn of the idle loop, a stat, one read of a file or a directory)
  have the health window (``[sync] hang_after_s``);
* a B2 step may wait as long as its call is allowed to take: every attempt with its
  connect and read timeouts and the wait before the next one, never longer than the
  job's lease (past it the journal gives the job to another worker anyway).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from syncd.clock import RETRY_AFTER_CAP_S, Clock
from syncd.config import B2Config, SyncConfig


def remote_bound_s(sync: SyncConfig, b2: B2Config) -> float:
    """How long a B2 step may go without progress before its worker is hung."""
    per_attempt = (
        b2.connect_timeout_s
        + max(b2.read_timeout_s, b2.upload_read_timeout_s)
        + max(b2.backoff_cap_s, RETRY_AFTER_CAP_S)
    )
    return min(sync.lease_s, b2.max_attempts * per_attempt)


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    """One worker's current step: its name, its last progress, and its own bound (None:
    the health window applies)."""

    name: str
    progress_at: float
    bound_s: float | None


class Steps:
    """The current step of every worker; thread-safe."""

    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._lock = threading.Lock()
        self._steps: dict[str, Step] = {}

    def enter(self, worker: str, name: str, bound_s: float | None = None) -> None:
        """``worker`` starts step ``name`` now."""
        step = Step(name=name, progress_at=self._clock.monotonic(), bound_s=bound_s)
        with self._lock:
            self._steps[worker] = step

    def progress(self, worker: str) -> None:
        """``worker`` moved forward in its step: its bound starts again."""
        now = self._clock.monotonic()
        with self._lock:
            step = self._steps.get(worker)
            if step is not None:
                self._steps[worker] = Step(name=step.name, progress_at=now, bound_s=step.bound_s)

    def leave(self, worker: str) -> None:
        """``worker`` ended: it has no step any more."""
        with self._lock:
            self._steps.pop(worker, None)

    def hung(self, window_s: float) -> dict[str, tuple[str, float]]:
        """worker -> (step, seconds since its last progress) for each worker past the
        bound of its step (``window_s`` for the steps without a bound of their own)."""
        now = self._clock.monotonic()
        with self._lock:
            steps = dict(self._steps)
        return {
            worker: (step.name, round(now - step.progress_at, 1))
            for worker, step in steps.items()
            if now - step.progress_at > (window_s if step.bound_s is None else step.bound_s)
        }
