"""The watcher on real watchdog and real temporary folders: every change is reported,
and the blind spots watchdog hides are caught (overflow, watch limit, root loss,
emitter death). Waits are bounded polls, never fixed sleeps."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from syncd.clock import SystemClock
from syncd.config import FolderConfig
from syncd.domain import ChangeKind, LocalChange, LocalState
from syncd.watch import Scanner, Watcher, WatchSettings
from tests.support.poll import wait_until

pytestmark = [
    pytest.mark.integration,
    # watchdog warns from its own threads when mkdir -p races its recursive walk
    pytest.mark.filterwarnings("ignore:Callback with id:RuntimeWarning"),
]
CHILD = Path(__file__).with_name("watch_child.py")
REPO = Path(__file__).resolve().parents[3]
C, D, S = ChangeKind.CHANGED, ChangeKind.DELETED, ChangeKind.SUBTREE


class Recorder:
    """Thread-safe sink and callbacks."""

    def __init__(self) -> None:
        self.changes: list[LocalChange] = []
        self.lost: list[str] = []
        self._lock = threading.Lock()

    def sink(self, changes: Sequence[LocalChange]) -> None:
        with self._lock:
            self.changes.extend(changes)

    def seen(self) -> set[tuple[str, ChangeKind]]:
        """(rel_path, kind) pairs received so far."""
        with self._lock:
            return {(c.rel_path, c.kind) for c in self.changes}


@pytest.fixture
def root(tmp_path: Path) -> Path:
    """A folder root."""
    path = tmp_path / "root"
    path.mkdir()
    return path


@pytest.fixture
def watched(root: Path) -> Iterator[tuple[Watcher, Recorder]]:
    """A started watcher on ``root`` with fast checks; stopped after the test."""
    rec = Recorder()
    settings = WatchSettings(
        delete_hold_s=0.3, health_interval_s=0.1, coverage_first_s=0.1, coverage_interval_s=0.5
    )
    folder = FolderConfig(name="f", path=root, bucket="b", exclude=("*.tmp",))
    watcher = Watcher(
        [folder], rec.sink, SystemClock(), on_root_lost=rec.lost.append, settings=settings
    )
    watcher.start()
    yield watcher, rec
    watcher.stop()


def test_create_modify_delete_rename_and_deep_mkdir(
    root: Path, watched: tuple[Watcher, Recorder]
) -> None:
    """Every kind of change is reported; excluded files are not."""
    watcher, rec = watched
    (root / "a.txt").write_text("1")
    (root / "skip.tmp").write_text("1")
    with (root / "a.txt").open("a") as fh:
        fh.write("2")
    (root / "b.txt").write_text("1")
    (root / "b.txt").rename(root / "c.txt")
    (root / "c.txt").unlink()
    deep = root / "d1" / "d2" / "d3" / "d4"
    deep.mkdir(parents=True)
    (deep / "f").write_text("x")
    # b.txt -> c.txt gives DELETED(b) + CHANGED(c); the unlink then replaces CHANGED(c)
    expected = {("a.txt", C), ("b.txt", D), ("c.txt", D), ("d1", S), ("d1/d2/d3/d4/f", C)}
    assert wait_until(lambda: expected <= rec.seen())
    assert not any(p.endswith(".tmp") for p, _ in rec.seen())
    assert watcher.healthy()
    assert wait_until(lambda: watcher.coverage().get("f") == (5, 5))
    assert watcher.degraded() == {}


def test_directory_moved_in_is_rescanned_and_watched(
    root: Path, tmp_path: Path, watched: tuple[Watcher, Recorder]
) -> None:
    """A tree moved in from outside gives a SUBTREE hint, and edits inside it are seen."""
    _, rec = watched
    outside = tmp_path / "outside" / "tree"
    outside.mkdir(parents=True)
    (outside / "f").write_text("x")
    outside.rename(root / "tree")
    assert wait_until(lambda: ("tree", S) in rec.seen())
    (root / "tree" / "g").write_text("y")
    assert wait_until(lambda: ("tree/g", C) in rec.seen())


def test_fifo_never_blocks(root: Path, watched: tuple[Watcher, Recorder]) -> None:
    """A FIFO in the tree blocks neither the watcher nor a scan."""
    _, rec = watched
    os.mkfifo(root / "pipe")
    (root / "after").write_text("x")
    assert wait_until(lambda: ("after", C) in rec.seen())
    done = threading.Event()
    entries: list[object] = []

    def scan() -> None:
        entries.extend(Scanner(FolderConfig(name="f", path=root, bucket="b")).scan())
        done.set()

    threading.Thread(target=scan, daemon=True).start()
    assert done.wait(5.0)
    assert [e.rel_path for e in entries if isinstance(e, LocalState)] == ["after"]


def test_root_deleted_is_root_lost_without_deletes(
    root: Path, watched: tuple[Watcher, Recorder]
) -> None:
    """rm -rf of the root calls on_root_lost and sends no DELETED or delete-like hint."""
    watcher, rec = watched
    for i in range(30):
        (root / "sub").mkdir(exist_ok=True)
        (root / "sub" / f"f{i}").write_text("x")
        (root / f"g{i}").write_text("x")
    assert wait_until(lambda: ("g29", C) in rec.seen() and ("sub/f29", C) in rec.seen())
    before = rec.seen()
    shutil.rmtree(root)
    assert wait_until(lambda: rec.lost == ["f"])
    time.sleep(0.5)  # longer than the delete hold: anything held would have gone out by now
    assert rec.seen() == before
    assert watcher.degraded() == {"f": "root lost: root deleted"}


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_emitter_death_is_restarted(root: Path, watched: tuple[Watcher, Recorder]) -> None:
    """An exception in watchdog's emitter kills it; the monitor restarts it and rescans."""
    watcher, rec = watched
    folder = watcher._folders["f"]
    assert folder.observer is not None
    (emitter,) = folder.observer.emitters

    def broken(_timeout: float) -> None:
        raise RuntimeError("injected emitter fault")

    emitter.queue_events = broken  # type: ignore[method-assign,assignment]
    (root / "wake").write_text("x")  # unblocks the emitter's read so it calls the fault
    assert wait_until(lambda: not emitter.is_alive())
    assert wait_until(lambda: folder.restarts == 1 and watcher.healthy())
    assert wait_until(lambda: ("", S) in rec.seen())
    (root / "after-restart").write_text("x")
    assert wait_until(lambda: ("after-restart", C) in rec.seen())


def run_child(mode: str, root: Path, prefix: Sequence[str] = ()) -> subprocess.Popen[str]:
    """Start watch_child.py (optionally under a prefix command) and wait for 'ready'."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen(
        [*prefix, sys.executable, str(CHILD), mode, str(root)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "ready"
    return proc


def test_queue_overflow_becomes_a_root_rescan(root: Path) -> None:
    """A frozen watcher whose kernel queue overflows asks for a root rescan within 5 s."""
    with open("/proc/sys/fs/inotify/max_queued_events", encoding="ascii") as fh:
        queue_max = int(fh.read())
    if queue_max > 50_000:
        pytest.skip(f"max_queued_events is {queue_max}: too many files to overflow quickly")
    proc = run_child("overflow", root)
    try:
        os.kill(proc.pid, signal.SIGSTOP)
        for i in range(queue_max // 2 + 2000):  # IN_CREATE + IN_CLOSE_WRITE per file
            (root / f"x{i}").write_bytes(b"")
        os.kill(proc.pid, signal.SIGCONT)
        out, _ = proc.communicate("go\n", timeout=60)
    finally:
        proc.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert result["overflows"] >= 1
    assert result["overflow_s"] is not None
    assert result["overflow_s"] <= 5.0


def unshare_works() -> str | None:
    """Why a user namespace with its own inotify limit is not available, or None."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(
        ["unshare", "-U", "-r", "sh", "-c", "echo 40 > /proc/sys/user/max_inotify_watches"],
        capture_output=True,
        text=True,
        check=False,
    )
    return None if probe.returncode == 0 else f"unshare -U -r failed: {probe.stderr.strip()}"


def test_watch_limit_gap_is_detected_and_polled(root: Path) -> None:
    """40 watches for 101 directories: the gap is reported and an unwatched file is polled."""
    reason = unshare_works()
    if reason is not None:
        pytest.skip(reason)
    for i in range(100):
        (root / f"d{i:03d}").mkdir()
    script = 'echo 40 > /proc/sys/user/max_inotify_watches && exec "$@"'
    proc = run_child("limit", root, prefix=["unshare", "-U", "-r", "sh", "-c", script, "sh"])
    try:
        out, _ = proc.communicate("", timeout=60)
    finally:
        proc.kill()
    result = json.loads(out.strip().splitlines()[-1])
    assert (result["watched"], result["directories"], result["gap"]) == (40, 101, 61)
    assert result["gap_s"] is not None
    assert result["gap_s"] <= 10.0
    assert "fs.inotify.max_user_watches=" in result["degraded"]
    assert result["poll_s"] is not None
    assert result["poll_s"] <= 5.0
