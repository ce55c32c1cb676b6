"""``syncd pause`` / ``resume`` with a running daemon, across a restart, ``--for``, and
for one folder while another syncs."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.harness import (
    DaemonProcess,
    NotifySocket,
    Setup,
    run_syncd,
    wait_until,
    write_config,
)

pytestmark = pytest.mark.integration


def uploads(emulator: EmulatorServer) -> int:
    """b2_upload_file calls the emulator served so far."""
    return int(emulator.stats()["calls"].get("b2_upload_file", 0))


def status_of(setup: Setup, name: str) -> dict[str, object]:
    """The folder ``name`` of ``status --json``."""
    doc = json.loads(run_syncd(setup, "status", "--json").stdout)
    folder: dict[str, object] = next(f for f in doc["folders"] if f["folder"] == name)
    return folder


def folder_status(setup: Setup) -> dict[str, object]:
    """The first folder of ``status --json``."""
    doc = json.loads(run_syncd(setup, "status", "--json").stdout)
    folder: dict[str, object] = doc["folders"][0]
    return folder


def test_pause_holds_uploads_across_a_restart_until_resume(
    setup: Setup, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """Paused: changes are recorded, nothing is sent, even after a restart; resume sends them."""
    (setup.root / "first").write_text("1")
    first = DaemonProcess(setup, NotifySocket(tmp_path / "n1.sock"), tmp_path / "d1.log")
    second = None
    try:
        first.wait_ready()
        assert wait_until(lambda: uploads(emulator) == 1, 30), first.log()
        assert run_syncd(setup, "pause").returncode == 0
        time.sleep(1.5)  # the gate re-reads the journal every second
        for i in range(3):
            (setup.root / f"held{i}").write_text(str(i))
        assert wait_until(lambda: folder_status(setup)["pending"] == 3, 30), first.log()
        time.sleep(2)
        assert uploads(emulator) == 1
        status = folder_status(setup)
        assert (status["state"], status["paused"], status["paused_until_ms"]) == (
            "paused",
            True,
            None,
        )
        assert first.terminate() == 0
        second = DaemonProcess(setup, NotifySocket(tmp_path / "n2.sock"), tmp_path / "d2.log")
        second.wait_ready()
        time.sleep(2.5)
        assert uploads(emulator) == 1, second.log()
        assert "uploads_paused" in second.log()
        assert run_syncd(setup, "resume").returncode == 0
        assert wait_until(lambda: uploads(emulator) == 4, 30), second.log()
        assert wait_until(lambda: folder_status(setup)["state"] == "idle", 30)
    finally:
        first.kill()
        first.notify.close()
        if second is not None:
            assert second.terminate() == 0
            second.notify.close()


def test_pause_for_a_duration_ends_by_itself(
    setup: Setup, emulator: EmulatorServer, daemon: DaemonProcess
) -> None:
    """``--for 5s``: status shows the end time; after it uploads resume without a command."""
    result = run_syncd(setup, "pause", "--for", "5s")
    assert result.returncode == 0, result.stderr
    assert "paused until" in result.stdout
    assert isinstance(folder_status(setup)["paused_until_ms"], int)
    (setup.root / "later").write_text("x")  # claims read the pause in their transaction
    time.sleep(0.8)  # settled (0.3 s) well before the pause ends: held, not sent
    assert uploads(emulator) == 0
    assert wait_until(lambda: uploads(emulator) == 1, 30), daemon.log()
    assert "uploads_resumed" in daemon.log()


def test_a_bad_duration_is_a_usage_error(setup: Setup) -> None:
    """An unreadable --for is exit 2 with one line."""
    result = run_syncd(setup, "pause", "--for", "soon")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr


def test_one_folder_paused_the_other_syncs_across_a_restart(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """FOLDER paused: its change stays local (also after a restart) while the other syncs."""
    second = tmp_path / "second"
    second.mkdir()
    write_config(
        setup,
        folder=f'\n[[folder]]\nname = "second"\npath = "{second}"\n'
        f'bucket = "{setup.bucket}"\nprefix = "host2/"\n',
    )
    first_name = setup.root.name  # a folder's name defaults to its directory's
    result = run_syncd(setup, "pause", "second")
    assert (result.returncode, result.stdout.strip()) == (0, "second paused until `syncd resume`")
    daemon = DaemonProcess(setup, NotifySocket(tmp_path / "n1.sock"), tmp_path / "d1.log")
    again = None
    try:
        daemon.wait_ready()
        (second / "held.txt").write_text("held")
        (setup.root / "sent.txt").write_text("sent")

        def on_b2() -> set[str]:
            return {v.name for v in view.versions(setup.bucket)}

        assert wait_until(lambda: "host1/sent.txt" in on_b2(), 30), daemon.log()
        assert wait_until(lambda: status_of(setup, "second")["pending"] == 1, 30)
        time.sleep(1.0)  # settled (0.3 s) long ago: held, not merely late
        assert "host2/held.txt" not in on_b2()
        paused = status_of(setup, "second")
        assert (paused["state"], paused["paused"], paused["paused_until_ms"]) == (
            "paused",
            True,
            None,
        )
        assert status_of(setup, first_name)["paused"] is False
        assert daemon.terminate() == 0
        again = DaemonProcess(setup, NotifySocket(tmp_path / "n2.sock"), tmp_path / "d2.log")
        again.wait_ready()
        (setup.root / "after-restart.txt").write_text("sent too")
        assert wait_until(lambda: "host1/after-restart.txt" in on_b2(), 30), again.log()
        assert "host2/held.txt" not in on_b2()
        assert "folder_paused" in again.log()
        assert run_syncd(setup, "resume", "second").returncode == 0
        assert wait_until(lambda: "host2/held.txt" in on_b2(), 30), again.log()
        assert wait_until(lambda: status_of(setup, "second")["state"] == "idle", 30)
    finally:
        daemon.kill()
        daemon.notify.close()
        if again is not None:
            assert again.terminate() == 0
            again.notify.close()


def test_an_unknown_folder_is_a_usage_error(setup: Setup) -> None:
    """pause/resume of a folder the config lacks: one line naming it, exit 2, no change."""
    for command in ("pause", "resume"):
        result = run_syncd(setup, command, "nope")
        assert result.returncode == 2, result.stderr
        assert result.stderr.strip().splitlines() == [
            f"syncd: no folder named 'nope' in the config (folders: {setup.root.name})"
        ]
