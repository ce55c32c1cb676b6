"""`syncd run` re-reads its config on SIGHUP, and keeps serving the old one when the new
one is invalid."""

from __future__ import annotations

import signal
from pathlib import Path

import pytest

from tests.support.bucket_view import BucketView, assert_converged
from tests.support.harness import DaemonProcess, Setup, wait_until, write_config

pytestmark = pytest.mark.integration


def on_bucket(view: BucketView, setup: Setup, prefix: str) -> set[str]:
    """The visible names under ``prefix``."""
    return set(view.latest(setup.bucket, prefix))


def ready_count(daemon: DaemonProcess) -> int:
    """How many READY=1 the daemon has sent."""
    return sum("READY=1" in m for m in daemon.notify.poll())


def test_sighup_adds_a_folder(
    setup: Setup, view: BucketView, daemon: DaemonProcess, tmp_path: Path
) -> None:
    """After SIGHUP a folder added to the config syncs, and the first one keeps syncing."""
    (setup.root / "first.txt").write_text("first\n")
    assert wait_until(lambda: "host1/first.txt" in on_bucket(view, setup, "host1/"), 60), (
        daemon.log()
    )
    second = tmp_path / "second"
    (second / "sub").mkdir(parents=True)
    (second / "one.txt").write_text("one\n")
    (second / "sub" / "two.txt").write_text("two\n")
    write_config(
        setup,
        folder=f'\n[[folder]]\nname = "second"\npath = "{second}"\n'
        f'bucket = "{setup.bucket}"\nprefix = "host2/"\n',
    )
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "config_reloaded" in daemon.log(), 30), daemon.log()
    assert wait_until(lambda: ready_count(daemon) >= 2, 60), daemon.log()
    expected = {"host2/one.txt", "host2/sub/two.txt"}
    assert wait_until(lambda: on_bucket(view, setup, "host2/") == expected, 60), daemon.log()
    (second / "live.txt").write_text("written after the reload\n")
    (setup.root / "later.txt").write_text("later\n")
    assert wait_until(lambda: "host2/live.txt" in on_bucket(view, setup, "host2/"), 60), (
        daemon.log()
    )
    assert wait_until(lambda: "host1/later.txt" in on_bucket(view, setup, "host1/"), 60), (
        daemon.log()
    )
    assert daemon.proc.poll() is None
    assert daemon.terminate() == 0
    assert_converged(view, setup.bucket, "host2/", second)
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_sighup_with_an_invalid_config_keeps_running(
    setup: Setup, view: BucketView, daemon: DaemonProcess
) -> None:
    """An invalid config on SIGHUP is refused; the daemon syncs on with the old one, unrestarted."""
    setup.config.write_text("[b2\nthis is not toml\n")
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "reload_refused" in daemon.log(), 30), daemon.log()
    assert ready_count(daemon) == 1
    assert daemon.proc.poll() is None
    (setup.root / "after.txt").write_text("after the refused reload\n")
    assert wait_until(lambda: "host1/after.txt" in on_bucket(view, setup, "host1/"), 60), (
        daemon.log()
    )
    assert "config_reloaded" not in daemon.log()
    assert daemon.terminate() == 0
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


def test_sighup_cannot_move_the_state_dir(
    setup: Setup, view: BucketView, daemon: DaemonProcess, tmp_path: Path
) -> None:
    """A reload that changes state.dir is refused; the daemon keeps its journal and runs on."""
    moved = Setup(**{**setup.__dict__, "state": tmp_path / "other-state"})
    write_config(moved)
    daemon.proc.send_signal(signal.SIGHUP)
    assert wait_until(lambda: "reload_refused" in daemon.log(), 30), daemon.log()
    assert "state.dir cannot change" in daemon.log()
    (setup.root / "still.txt").write_text("still syncing\n")
    assert wait_until(lambda: "host1/still.txt" in on_bucket(view, setup, "host1/"), 60), (
        daemon.log()
    )
    assert not (tmp_path / "other-state").exists()
    assert daemon.terminate() == 0
