"""A watcher in a child process, for the tests that must freeze it or limit it.

Run as ``python watch_child.py MODE ROOT``; prints ``ready`` once watching, then one
JSON line with what it saw. MODE ``overflow`` waits for a root rescan hint after the
parent froze it (SIGSTOP) and flooded the tree; MODE ``limit`` waits for the coverage
gap, then creates a file in an unwatched directory and waits for the hint covering it.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import structlog

from syncd.clock import SystemClock
from syncd.config import FolderConfig
from syncd.domain import ChangeKind, LocalChange
from syncd.watch import Coverage, Watcher, WatchSettings

DEADLINE_S = 30.0


class Recorder:
    """A sink and gap callback that tests can wait on."""

    def __init__(self) -> None:
        self.changes: list[LocalChange] = []
        self.gaps: list[Coverage] = []
        self.cond = threading.Condition()

    def sink(self, changes: Sequence[LocalChange]) -> None:
        with self.cond:
            self.changes.extend(changes)
            self.cond.notify_all()

    def gap(self, _name: str, cov: Coverage) -> None:
        with self.cond:
            self.gaps.append(cov)
            self.cond.notify_all()

    def wait(self, predicate: Callable[[], bool]) -> float | None:
        """Seconds until ``predicate()`` held, or None at the deadline."""
        start = time.monotonic()
        with self.cond:
            ok = self.cond.wait_for(predicate, timeout=DEADLINE_S)
        return time.monotonic() - start if ok else None


def subtree_covers(changes: list[LocalChange], rel: str) -> bool:
    """True when a SUBTREE hint for ``rel`` or one of its ancestors arrived."""
    return any(
        c.kind is ChangeKind.SUBTREE
        and (c.rel_path == "" or rel == c.rel_path or rel.startswith(c.rel_path + "/"))
        for c in changes
    )


def main(mode: str, root: str) -> None:
    """Watch ``root`` and report on stdout; logs go to stderr."""
    structlog.configure(logger_factory=structlog.PrintLoggerFactory(sys.stderr))
    rec = Recorder()
    settings = WatchSettings(coverage_first_s=0.2, coverage_interval_s=1.0, health_interval_s=0.2)
    folder = FolderConfig(name="f", path=Path(root), bucket="b")
    watcher = Watcher([folder], rec.sink, SystemClock(), on_coverage_gap=rec.gap, settings=settings)
    watcher.start()
    print("ready", flush=True)
    result: dict[str, object] = {}
    if mode == "overflow":
        sys.stdin.readline()  # the parent says when it has sent SIGCONT
        result["overflow_s"] = rec.wait(lambda: subtree_covers(rec.changes, "x"))
        result["overflows"] = watcher.overflows
    else:
        result["gap_s"] = rec.wait(lambda: bool(rec.gaps))
        cov = rec.gaps[0] if rec.gaps else None
        if cov is not None:
            result.update(
                watched=cov.watched,
                directories=cov.directories,
                gap=cov.gap,
                listed=len(cov.unwatched),
                degraded=watcher.degraded().get("f", ""),
            )
            target = cov.unwatched[-1]
            (Path(root) / target / "new-file").write_text("x")
            with rec.cond:
                rec.changes.clear()
            result["poll_s"] = rec.wait(lambda: subtree_covers(rec.changes, f"{target}/new-file"))
    watcher.stop()
    print(json.dumps(result), flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
