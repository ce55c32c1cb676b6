"""The key never appears in what the operations commands print or the daemon publishes:
status (text, JSON), explain, history, doctor, the live-state file and a metrics scrape."""

from __future__ import annotations

import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until, write_config

pytestmark = pytest.mark.integration


def run(setup: Setup, *args: str) -> str:
    """stdout and stderr of one syncd command."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", args[0], "--config", str(setup.config), *args[1:]],
        capture_output=True, text=True, env=setup.env(), timeout=60, check=False,
    )  # fmt: skip
    return proc.stdout + proc.stderr


def test_no_command_output_or_published_file_holds_the_key(setup: Setup, tmp_path: Path) -> None:
    """With a running daemon, a failing item and metrics on: 0 occurrences of the key."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    write_config(setup, b2=f'[metrics]\nlisten = "127.0.0.1:{port}"')
    (setup.root / "a.txt").write_text("a")
    daemon = DaemonProcess(setup, NotifySocket(tmp_path / "n.sock"), tmp_path / "d.log")
    try:
        daemon.wait_ready()
        assert wait_until(lambda: "on B2: 1 files" in run(setup, "status"), 30), daemon.log()
        outputs = [
            run(setup, "status"),
            run(setup, "status", "--json"),
            run(setup, "explain", str(setup.root / "a.txt"), "--json"),
            run(setup, "history", str(setup.root / "a.txt")),
            run(setup, "history", "--json"),
            run(setup, "history", "--versions", str(setup.root / "a.txt")),
            run(setup, "doctor", "--json"),
            (setup.state / "daemon.json").read_text(),
            httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text,
        ]
    finally:
        assert daemon.terminate() == 0
        daemon.notify.close()
    outputs.append(daemon.log())
    assert all(out.strip() for out in outputs)
    assert [setup.key in out for out in outputs] == [False] * len(outputs)
