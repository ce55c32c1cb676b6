"""The watcher's decisions without threads: events are fed by hand, flushes called
directly, and the monitor's checks run once."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest
from structlog.testing import capture_logs
from watchdog.events import (
    DirDeletedEvent,
    FileClosedEvent,
    FileCreatedEvent,
    FileDeletedEvent,
    FileModifiedEvent,
)

from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.watch.folder import FolderWatch, root_identity
from syncd.watch.inotify import Coverage
from syncd.watch.watcher import Watcher, WatchSettings
from tests.support.fake_clock import FakeClock

FolderFactory = Callable[..., FolderConfig]


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock."""
    return FakeClock()


C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE


class Sink:
    """Records every batch; can be told to fail."""

    def __init__(self) -> None:
        self.batches: list[list[LocalChange]] = []
        self.fail = False

    def __call__(self, changes: Sequence[LocalChange]) -> None:
        if self.fail:
            raise RuntimeError("journal busy")
        self.batches.append(list(changes))

    def kinds(self) -> list[tuple[str, ChangeKind]]:
        """(rel_path, kind) of everything received."""
        return [(c.rel_path, c.kind) for b in self.batches for c in b]


class Harness:
    """A Watcher over one folder, not started; events go straight to its callback."""

    def __init__(self, config: FolderConfig, clock: FakeClock, **settings: object) -> None:
        self.sink = Sink()
        self.lost: list[str] = []
        self.gaps: list[tuple[str, Coverage]] = []
        self.watcher = Watcher(
            [config],
            self.sink,
            clock,
            on_root_lost=self.lost.append,
            on_coverage_gap=lambda name, cov: self.gaps.append((name, cov)),
            settings=WatchSettings(**settings),  # type: ignore[arg-type]
        )
        self.folder: FolderWatch = self.watcher._folders[config.name]
        self.folder.identity = root_identity(self.folder.root)
        self.root = self.folder.root

    def event(self, event: object) -> None:
        """Deliver one watchdog event as the observer thread would."""
        self.watcher._on_event(self.folder, event)  # type: ignore[arg-type]


@pytest.fixture
def harness(folder: FolderFactory, clock: FakeClock) -> Harness:
    """A harness over the test folder."""
    return Harness(folder(), clock, delete_hold_s=1.0, batch_max=3)


def test_changes_flush_at_once_and_deletes_after_the_hold(
    harness: Harness, clock: FakeClock
) -> None:
    """CHANGED goes out on the next flush; DELETED only after delete_hold_s."""
    harness.event(FileCreatedEvent(f"{harness.root}/a"))
    harness.event(FileDeletedEvent(f"{harness.root}/b"))
    harness.watcher.flush()
    assert harness.sink.kinds() == [("a", C)]
    clock.step_monotonic(1.0)
    harness.watcher.flush()
    assert harness.sink.kinds() == [("a", C), ("b", D)]


def test_configured_delete_hold_is_the_watchers(folder: FolderFactory, clock: FakeClock) -> None:
    """WatchSettings.of(sync) holds a delete for [sync] delete_hold_s, not a hold of its own."""
    settings = WatchSettings.of(SyncConfig(delete_hold_s=4.0))
    h = Harness(folder(), clock, delete_hold_s=settings.delete_hold_s)
    h.event(FileDeletedEvent(f"{h.root}/b"))
    clock.step_monotonic(3.9)
    h.watcher.flush()
    assert h.sink.kinds() == []
    clock.step_monotonic(0.1)
    h.watcher.flush()
    assert h.sink.kinds() == [("b", D)]


def test_batches_are_capped(harness: Harness) -> None:
    """A flush sends batches of at most batch_max hints."""
    for i in range(7):
        harness.event(FileCreatedEvent(f"{harness.root}/f{i}"))
    assert harness.watcher.flush() == 7
    assert [len(b) for b in harness.sink.batches] == [3, 3, 1]


def test_root_deleted_gives_root_lost_and_no_deletes(harness: Harness, root: Path) -> None:
    """A DirDeletedEvent for the root drops pending deletes and calls on_root_lost once."""
    for i in range(5):
        harness.event(FileDeletedEvent(f"{harness.root}/f{i}"))
    harness.event(DirDeletedEvent(f"{harness.root}/sub"))
    harness.event(DirDeletedEvent(harness.root))
    harness.event(FileDeletedEvent(f"{harness.root}/late"))
    root.rmdir()
    harness.watcher.flush(everything=True)
    harness.watcher.check_health()
    harness.watcher.check_health()
    assert harness.sink.kinds() == []
    assert harness.lost == ["docs"]
    assert harness.watcher.degraded() == {"docs": "root lost: root deleted"}


def test_replaced_root_blocks_held_deletes(harness: Harness, root: Path) -> None:
    """If the root was swapped for another directory, held deletes are dropped at flush."""
    harness.event(FileDeletedEvent(f"{harness.root}/a"))
    root.rename(root.with_name("old"))
    root.mkdir()
    harness.watcher.flush(everything=True)
    assert harness.sink.kinds() == []
    assert harness.folder.lost == "root missing or replaced"


def test_overflow_record_asks_for_a_root_rescan(harness: Harness) -> None:
    """A watchdog overflow record from this folder's reader thread becomes SUBTREE(root)."""
    harness.folder.reader = threading.current_thread()
    record = logging.LogRecord(
        "watchdog.observers.inotify_c",
        logging.WARNING,
        __file__,
        1,
        "Inotify queue overflowed; filesystem events were lost",
        None,
        None,
    )
    harness.watcher._on_log_record(record)
    harness.watcher.flush()
    assert harness.sink.kinds() == [("", S)]
    assert harness.watcher.overflows == 1


def test_overflow_record_of_another_watcher_is_ignored(harness: Harness) -> None:
    """Records from a thread and path that are not this folder's are not ours."""
    harness.folder.reader = threading.Thread()
    record = logging.LogRecord(
        "watchdog.observers.inotify",
        logging.WARNING,
        __file__,
        1,
        "Inotify queue overflowed; reconciling recursive watches below %r",
        (b"/elsewhere",),
        None,
    )
    harness.watcher._on_log_record(record)
    assert harness.watcher.flush() == 0


def test_hints_below_a_marker_are_dropped(harness: Harness, root: Path) -> None:
    """Changes below a directory holding the marker never reach the sink."""
    (root / "skip").mkdir()
    (root / "skip" / ".nobackup").write_text("")
    harness.event(FileCreatedEvent(f"{harness.root}/skip/deep/f"))
    harness.event(FileCreatedEvent(f"{harness.root}/keep"))
    harness.watcher.flush()
    assert harness.sink.kinds() == [("keep", C)]


def test_sink_failure_keeps_the_hints(harness: Harness) -> None:
    """When the sink raises, the hints are queued again and sent on the next flush."""
    harness.event(FileCreatedEvent(f"{harness.root}/a"))
    harness.sink.fail = True
    assert harness.watcher.flush() == 0
    harness.sink.fail = False
    assert harness.watcher.flush() == 1
    assert harness.sink.kinds() == [("a", C)]


def test_a_failing_sink_is_logged_once_a_minute(harness: Harness, clock: FakeClock) -> None:
    """A sink failing on every flush is logged at the start, then once a minute, and on recovery."""
    harness.event(FileCreatedEvent(f"{harness.root}/a"))
    harness.sink.fail = True
    with capture_logs() as logs:
        for _ in range(50):  # 50 flushes, 0.1 s apart
            harness.watcher.flush()
            clock.step_monotonic(0.1)
        clock.step_monotonic(60)
        harness.watcher.flush()
        harness.sink.fail = False
        harness.watcher.flush()
    events = [entry["event"] for entry in logs]
    assert events.count("watch_sink_failed") == 2
    assert events.count("watch_sink_recovered") == 1
    assert harness.sink.kinds() == [("a", C)]


def test_an_exception_in_translation_does_not_escape(harness: Harness) -> None:
    """A broken event is logged and swallowed, so watchdog's thread survives."""
    harness.event(object())
    assert harness.watcher.flush() == 0


def test_unwatchable_root_is_polled(harness: Harness, root: Path) -> None:
    """A root whose own watch failed reports a full gap and asks for a root rescan."""
    (root / "a").mkdir()
    harness.folder.unwatchable = "root cannot be watched: No space left on device"
    cov = harness.watcher.check_coverage("docs")
    assert cov == Coverage(watched=0, directories=2, unwatched=(RelPath(""),))
    assert harness.gaps == [("docs", cov)]
    harness.watcher.flush()
    assert harness.sink.kinds() == [("", S)]
    assert "polling" in harness.watcher.degraded()["docs"]


def test_rescan_requests_go_to_on_rescan_needed(folder: FolderFactory, clock: FakeClock) -> None:
    """Blind-spot rescans go to on_rescan_needed, deduplicated, retried on failure."""
    calls: list[tuple[str, str | None]] = []
    failing = [True]

    def rescan(name: str, under: RelPath | None) -> None:
        if failing[0]:
            failing[0] = False
            raise RuntimeError("journal busy")
        calls.append((name, under))

    sink = Sink()
    watcher = Watcher([folder()], sink, clock, on_rescan_needed=rescan)
    target = watcher._folders["docs"]
    target.reader = threading.current_thread()
    record = logging.LogRecord(
        "watchdog.observers.inotify_c",
        logging.WARNING,
        __file__,
        1,
        "Inotify queue overflowed; filesystem events were lost",
        None,
        None,
    )
    watcher._on_log_record(record)
    watcher._on_log_record(record)
    watcher.flush()
    watcher.flush()
    assert calls == [("docs", None)]
    assert sink.kinds() == []


def test_a_closed_file_goes_out_closed_after_the_grace(harness: Harness, clock: FakeClock) -> None:
    """Write and close: the flusher wakes for the grace, then sends one closed change."""
    harness.event(FileCreatedEvent(f"{harness.root}/a"))
    harness.event(FileModifiedEvent(f"{harness.root}/a"))
    harness.event(FileClosedEvent(f"{harness.root}/a"))
    assert harness.watcher.next_flush_s() == pytest.approx(0.05)
    assert harness.watcher.flush() == 0
    clock.step_monotonic(0.05)
    harness.sink.fail = True
    harness.watcher.flush()
    harness.sink.fail = False
    assert harness.watcher.flush() == 1
    assert [(c.rel_path, c.closed) for b in harness.sink.batches for c in b] == [("a", True)]
    assert harness.watcher.next_flush_s() == harness.watcher.settings.idle_flush_s


def test_an_empty_buffer_lets_the_flusher_sleep_until_a_hint_wakes_it(harness: Harness) -> None:
    """Nothing buffered: the long idle sleep; the first hint wakes the flusher, then it ticks."""
    watcher = harness.watcher
    assert watcher.next_flush_s() == watcher.settings.idle_flush_s
    assert not watcher._wake.is_set()
    harness.event(FileModifiedEvent(f"{harness.root}/a"))
    assert watcher._wake.is_set()
    assert watcher.next_flush_s() == watcher.settings.flush_s


def test_a_rescan_request_wakes_the_idle_flusher(harness: Harness) -> None:
    """A rescan request counts as buffered work: the flusher is woken and ticks for it."""
    watcher = harness.watcher
    watcher._rescan(harness.folder, [RelPath("")])
    assert watcher._wake.is_set()
    assert watcher.next_flush_s() == watcher.settings.flush_s
