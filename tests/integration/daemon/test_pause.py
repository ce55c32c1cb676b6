"""``syncd pause`` / ``resume`` with a running daemon, across a restart, and ``--for``."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until

pytestmark = pytest.mark.integration


def syncd(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one syncd command with the setup's config."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", args[0], "--config", str(setup.config), *args[1:]],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )


def uploads(emulator: EmulatorServer) -> int:
    """b2_upload_file calls the emulator served so far."""
    return int(emulator.stats()["calls"].get("b2_upload_file", 0))


def folder_status(setup: Setup) -> dict[str, object]:
    """The first folder of ``status --json``."""
    doc = json.loads(syncd(setup, "status", "--json").stdout)
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
        assert syncd(setup, "pause").returncode == 0
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
        assert syncd(setup, "resume").returncode == 0
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
    """``--for 3s``: status shows the end time; after it uploads resume without a command."""
    result = syncd(setup, "pause", "--for", "3s")
    assert result.returncode == 0, result.stderr
    assert "paused until" in result.stdout
    time.sleep(1.2)
    (setup.root / "later").write_text("x")
    time.sleep(0.8)  # settled (0.3 s) well before the pause ends: held, not sent
    assert uploads(emulator) == 0
    assert isinstance(folder_status(setup)["paused_until_ms"], int)
    assert wait_until(lambda: uploads(emulator) == 1, 30), daemon.log()
    assert "uploads_resumed" in daemon.log()


def test_a_bad_duration_is_a_usage_error(setup: Setup) -> None:
    """An unreadable --for is exit 2 with one line."""
    result = syncd(setup, "pause", "--for", "soon")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
