"""The close-write fast path under `syncd run`: real watchdog, real folder, emulator over HTTP.

The settle window is set far beyond every wait here (30 s), so a file that reaches B2
within a test's timeout got there by its close, not by the window.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest

from tests.support.bucket_view import BucketView
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until

pytestmark = pytest.mark.integration
LONG_SETTLE = "settle_s = 30\nmax_deferral_s = 60"


def start(setup: Setup, tmp_path: Path, sync: str) -> DaemonProcess:
    """Rewrite the config's [sync] timings and start a daemon on it."""
    text = setup.config.read_text()
    text = text.replace("settle_s = 0.3\n", "").replace("max_deferral_s = 5.0\n", "")
    setup.config.write_text(text.replace("[sync]\n", f"[sync]\n{sync}\n"))
    proc = DaemonProcess(setup, NotifySocket(tmp_path / "notify.sock"), tmp_path / "daemon.log")
    proc.wait_ready()
    return proc


@pytest.fixture
def slow_settle(setup: Setup, tmp_path: Path) -> Iterator[DaemonProcess]:
    """A daemon whose settle window (30 s) outlasts every wait of a test."""
    proc = start(setup, tmp_path, LONG_SETTLE)
    yield proc
    proc.terminate()
    proc.notify.close()


def uploads(view: BucketView, setup: Setup, name: str = "") -> list[str]:
    """The sha1 of every upload under the prefix (of ``name`` only if given), newest first."""
    return [
        v.sha1 or ""
        for v in view.versions(setup.bucket, setup.prefix + name)
        if v.action == "upload" and (not name or v.name == setup.prefix + name)
    ]


def newest_is(view: BucketView, setup: Setup, name: str, data: bytes) -> bool:
    """True when the newest version of ``name`` holds ``data``."""
    got = uploads(view, setup, name)
    return bool(got) and got[0] == hashlib.sha1(data).hexdigest()


def test_closed_file_beats_the_window_and_an_open_one_waits(
    setup: Setup, view: BucketView, slow_settle: DaemonProcess
) -> None:
    """A closed file arrives long before the window; one still open arrives once, on close."""
    held = (setup.root / "held.log").open("ab")
    held.write(b"burst 1\n")
    held.flush()
    for k in range(2):
        name, body = f"closed{k}.txt", b"closed %d\n" % k
        (setup.root / name).write_bytes(body)
        assert wait_until(partial(newest_is, view, setup, name, body), 15), slow_settle.log()
        assert uploads(view, setup, "held.log") == []  # written before closed{k}, still open
        held.write(b"burst %d\n" % (k + 2))
        held.flush()
    held.close()
    data = (setup.root / "held.log").read_bytes()
    assert wait_until(lambda: newest_is(view, setup, "held.log", data), 15), slow_settle.log()
    assert len(uploads(view, setup, "held.log")) == 1


def test_a_save_by_rename_beats_the_window(
    setup: Setup, view: BucketView, slow_settle: DaemonProcess
) -> None:
    """A temporary file renamed into place arrives long before the window, once."""
    (setup.root / ".new.txt.tmp").write_bytes(b"saved\n")
    (setup.root / ".new.txt.tmp").replace(setup.root / "new.txt")
    assert wait_until(lambda: newest_is(view, setup, "new.txt", b"saved\n"), 15), slow_settle.log()
    assert len(uploads(view, setup, "new.txt")) == 1


def test_files_written_one_by_one_make_one_version_each(
    setup: Setup, view: BucketView, slow_settle: DaemonProcess
) -> None:
    """200 files written and closed one after another: exactly 200 versions, no window."""
    for k in range(200):
        (setup.root / f"f{k:03d}.txt").write_bytes(b"file %d\n" % k)
    assert wait_until(lambda: len(uploads(view, setup)) >= 200, 30), slow_settle.log()
    time.sleep(0.5)  # a second version, if one were coming, would be on its way by now
    got = view.versions(setup.bucket, setup.prefix)
    assert len(got) == 200
    assert {v.name for v in got} == {f"{setup.prefix}f{k:03d}.txt" for k in range(200)}


def test_log_reopened_every_100_ms_makes_at_most_two_versions(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """A log appended by open-append-close for 2 s: its first close, then the window."""
    # Bound: the first close is fast (1 version); every later close comes within the
    # settle window (2 s) of the previous one, so it waits the window, which ends 2 s
    # after the last append (1 more); the deferral cap (6 s) outlasts the 2 s of appends
    # and the window after them.
    daemon = start(setup, tmp_path, "settle_s = 2.0\nmax_deferral_s = 6.0")
    try:
        log = setup.root / "app.log"
        for k in range(20):
            with log.open("ab") as out:
                out.write(b"line %d\n" % k)
            time.sleep(0.1)
        data = log.read_bytes()
        assert wait_until(lambda: newest_is(view, setup, "app.log", data), 15), daemon.log()
        assert 1 <= len(uploads(view, setup, "app.log")) <= 2
    finally:
        daemon.terminate()
        daemon.notify.close()
