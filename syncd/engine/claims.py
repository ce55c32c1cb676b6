"""The pool's shared claim buffer: one journal transaction leases a batch of jobs, and
the workers take them one at a time.

Imports the journal adapter, the clock and the domain. Claiming one job per
transaction cost a write transaction per file; a batch of ``2 x workers`` cuts that
while every worker still takes the next job the moment it is free (the buffer is
shared, so one worker never sits on a queue of its own). Every job is leased to the
pool's one owner name, so whichever worker runs it can renew the lease. A job that
waited in the buffer for a third of the lease has its lease renewed before it runs,
and is dropped (another claim will take it) if the lease was lost.

With ``paused`` (the daemon's ``PauseGate``), claims leave paused folders' rows alone
(see ``journal.queue``) and a job whose folder was paused after its claim is given
back, not run (a rescan runs: it only records).
"""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Callable, Collection, Container
from dataclasses import dataclass

from syncd.clock import Clock
from syncd.domain import ChangeKind, Job
from syncd.journal import Journal


@dataclass(frozen=True, slots=True)
class _Held:
    job: Job
    claimed_s: float


class ClaimBuffer:
    """Jobs leased in batches, handed out one by one, under one lease owner."""

    def __init__(
        self,
        journal: Journal,
        clock: Clock,
        *,
        owner: str,
        batch: int,
        lease_ms: int,
        recording: Container[int] = frozenset(),
        paused: Callable[[], Collection[str]] | None = None,
    ) -> None:
        self._journal = journal
        self._paused = paused  # the folders paused now; None: ignore pauses (sync-now)
        self._recording = recording  # jobs whose record is not durable yet: never retaken
        self._clock = clock
        self.owner = owner
        self._batch = max(1, batch)
        self._lease_ms = lease_ms
        self._lock = threading.Lock()
        self._held: deque[_Held] = deque()
        self.claims = 0  # journal claim transactions, for tests and figures

    def __len__(self) -> int:
        with self._lock:
            return len(self._held)

    def take(self) -> Job | None:
        """The next job: from the buffer, or from a new batch claim; None when none is due."""
        paused = self._paused() if self._paused is not None else ()
        dropped: list[Job] = []
        try:
            with self._lock:
                if not self._held:
                    now = self._clock.monotonic()
                    jobs = self._journal.claim(
                        worker=self.owner,
                        limit=self._batch,
                        lease_ms=self._lease_ms,
                        honour_pause=self._paused is not None,
                    )
                    self.claims += 1
                    self._held.extend(_Held(j, now) for j in jobs if j.id not in self._recording)
                while self._held:
                    held = self._held.popleft()
                    if held.job.folder in paused and held.job.kind is not ChangeKind.SUBTREE:
                        dropped.append(held.job)  # paused since its claim: given back
                    elif self._fresh(held):
                        return held.job
            return None
        finally:
            if dropped:
                self._journal.release_jobs(dropped)

    def _fresh(self, held: _Held) -> bool:
        waited_ms = (self._clock.monotonic() - held.claimed_s) * 1000
        if waited_ms < self._lease_ms / 3:
            return True
        return self._journal.renew_lease(held.job, worker=self.owner, lease_ms=self._lease_ms)

    def release(self) -> int:
        """Give back the leases of the jobs still waiting here (the pool stops)."""
        with self._lock:
            held, self._held = list(self._held), deque()
        if not held:
            return 0
        return self._journal.release_jobs([h.job for h in held])
