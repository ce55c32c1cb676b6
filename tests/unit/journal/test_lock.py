"""The instance lock: one holder per state directory, named by pid when refused."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.errors import JournalError, JournalLockedError
from syncd.journal import InstanceLock

REPO = Path(__file__).resolve().parents[3]
HOLD = (
    "import sys, time; from pathlib import Path; from syncd.journal.lock import InstanceLock;"
    "lock = InstanceLock(Path(sys.argv[1])); lock.acquire(); print('held', flush=True);"
    "time.sleep(60)"
)


def test_second_holder_is_refused_with_the_pid(tmp_path):
    """A second acquirer fails with JournalLockedError naming the holder's pid."""
    path = tmp_path / "syncd.lock"
    with InstanceLock(path) as first:
        assert first.is_held
        assert path.read_text() == f"{os.getpid()}\n"
        with pytest.raises(JournalLockedError, match=f"pid {os.getpid()}"):
            InstanceLock(path).acquire()
    assert not first.is_held
    with InstanceLock(path):
        pass


def test_lock_dies_with_its_process(tmp_path):
    """A lock held by another process is refused, and free once that process is killed."""
    path = tmp_path / "syncd.lock"
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, env=env, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "held"
        with pytest.raises(JournalLockedError, match=f"pid {child.pid}"):
            InstanceLock(path).acquire()
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(10)
        if child.stdout is not None:
            child.stdout.close()
    with InstanceLock(path) as lock:
        assert lock.is_held
        assert path.read_text() == f"{os.getpid()}\n"


def test_acquire_is_idempotent_and_release_twice_is_harmless(tmp_path):
    """Acquiring a held lock again is a no-op; releasing twice does nothing."""
    lock = InstanceLock(tmp_path / "syncd.lock")
    lock.acquire()
    lock.acquire()
    lock.release()
    lock.release()
    assert not lock.is_held


def test_unusable_lock_path_is_a_journal_error(tmp_path):
    """A lock file that cannot be opened is reported as JournalError."""
    with pytest.raises(JournalError, match="cannot be opened"):
        InstanceLock(tmp_path / "missing" / "syncd.lock").acquire()
