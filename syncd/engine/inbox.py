"""The inbox: where every producer's hints go.

Imports the journal adapter and the domain. The watcher, the rescanner and the remote
reconciler all record through one ``Inbox``, built first by the composition root and
handed to each of them and to the worker pool: a batch is recorded in the journal
with the run's timing, then ``arrived`` is set, which is what idle workers wait on.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from syncd.domain import LocalChange, Timing
from syncd.journal import Journal


class Inbox:
    """Record hints with one timing and wake the workers."""

    def __init__(self, journal: Journal, timing: Timing) -> None:
        self._journal = journal
        self.timing = timing
        self.arrived = threading.Event()

    def record(self, changes: Sequence[LocalChange]) -> None:
        """Coalesce ``changes`` into the journal, then wake the workers."""
        if not changes:
            return
        t = self.timing
        self._journal.record(
            changes,
            settle_ms=t.settle_ms,
            delete_hold_ms=t.delete_hold_ms,
            max_deferral_ms=t.max_deferral_ms,
        )
        self.arrived.set()
