"""``syncd status`` against a running daemon and the emulator over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.support.harness import DaemonProcess, Setup, wait_until

pytestmark = pytest.mark.integration


def status(setup: Setup, *args: str) -> tuple[int, str]:
    """Run ``syncd status``; return (exit code, stdout)."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "--config", str(setup.config), *args],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=30,
        check=False,
    )
    return proc.returncode, proc.stdout


def status_json(setup: Setup) -> dict[str, Any]:
    """The parsed ``status --json`` document."""
    code, out = status(setup, "--json")
    assert code in (0, 1), out
    doc: dict[str, Any] = json.loads(out)
    return doc


def test_status_shows_the_running_daemon_and_an_idle_folder(
    setup: Setup, daemon: DaemonProcess
) -> None:
    """While the daemon runs: its pid, then every file on B2, nothing pending, RPO 0."""
    for i in range(5):
        (setup.root / f"f{i}.txt").write_text("x" * (i + 1))

    def idle() -> bool:
        f = status_json(setup)["folders"][0]
        return bool(f["files_on_b2"] == 5 and f["state"] == "idle")

    assert wait_until(idle, 30), daemon.log()
    doc = status_json(setup)
    assert doc["daemon"]["state"] == "running"
    assert doc["daemon"]["pid"] == daemon.proc.pid
    folder = doc["folders"][0]
    assert (folder["bytes_on_b2"], folder["pending"], folder["rpo_s"]) == (15, 0, 0.0)
    assert folder["throughput"]["files"] == 5
    assert wait_until(lambda: status_json(setup)["folders"][0]["last_rescan_ms"] is not None, 15), (
        setup.state / "daemon.json"
    ).read_text()
    folder = status_json(setup)["folders"][0]
    assert folder["last_rescan_hints"] is not None
    assert folder["remote_index"]["last_listed_ms"] is not None  # the first start walks B2
    assert wait_until(lambda: status_json(setup)["folders"][0]["watch"]["dirs"] == 1, 15)
    assert status_json(setup)["folders"][0]["watch"]["watched_dirs"] == 1  # measured after 2 s
    code, text = status(setup)
    assert code == 0
    assert f"pid {daemon.proc.pid}" in text
    assert "on B2: 5 files" in text
    assert "remote index: last listed" in text


def test_status_says_stopped_after_the_daemon_stops(setup: Setup, daemon: DaemonProcess) -> None:
    """A clean stop removes the live-state file: status reports the daemon stopped."""
    assert status_json(setup)["daemon"]["state"] == "running"
    assert daemon.terminate() == 0
    assert status_json(setup)["daemon"]["state"] == "stopped"
    assert not (setup.state / "daemon.json").exists()


def test_watch_json_prints_one_document_per_refresh(setup: Setup) -> None:
    """``--watch --json`` writes a JSON line per interval until stopped."""
    (setup.root / "a").write_text("a")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "syncd",
            "status",
            "--config",
            str(setup.config),
            "--watch",
            "--json",
            "--interval",
            "0.2",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=setup.env(),
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline() for _ in range(2)]
    finally:
        proc.terminate()
        proc.wait(10)
        if proc.stdout is not None:
            proc.stdout.close()
    assert [json.loads(line)["schema_version"] for line in lines] == [1, 1]


def test_a_bad_config_is_one_line_and_exit_78(setup: Setup) -> None:
    """A broken config gives exit 78 and no traceback."""
    setup.config.write_text("[b2\n")
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "--config", str(setup.config)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert proc.returncode == 78
    assert "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1
