"""``syncd explain`` against a running daemon and the emulator over HTTP."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.bucket_view import BucketView
from tests.support.harness import DaemonProcess, Setup, wait_until, write_config

pytestmark = pytest.mark.integration


def explain(setup: Setup, path: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``syncd explain --json``; return (exit code, document)."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "syncd",
            "explain",
            "--config",
            str(setup.config),
            str(path),
            "--json",
            *args,
        ],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=30,
        check=False,
    )
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else {}


@pytest.fixture
def excluding(setup: Setup) -> Setup:
    """The setup with ``exclude = ["*.log"]``."""
    write_config(setup, folder='exclude = ["*.log"]')
    return setup


def test_explain_names_file_id_of_a_synced_file_and_the_rule_of_an_excluded_one(
    excluding: Setup, view: BucketView, daemon: DaemonProcess
) -> None:
    """A synced file shows its fileId from B2 (exit 0); an excluded one its pattern (exit 0)."""
    setup = excluding
    (setup.root / "a.txt").write_text("hello")
    (setup.root / "debug.log").write_text("noise")
    assert wait_until(
        lambda: explain(setup, setup.root / "a.txt")[1].get("verdict") == "synced", 30
    ), daemon.log()
    code, doc = explain(setup, setup.root / "a.txt", "--hash")
    remote = view.latest(setup.bucket, setup.prefix)[setup.prefix + "a.txt"]
    assert code == 0
    assert doc["index"]["file_id"] == remote.file_id
    assert doc["local"]["sha1"] == doc["index"]["sha1"] == remote.sha1
    code, doc = explain(setup, setup.root / "debug.log")
    assert (code, doc["verdict"], doc["rule"]) == (0, "excluded", "*.log")


def test_explain_of_a_path_outside_the_folders_exits_2(setup: Setup, tmp_path: Path) -> None:
    """A path in no configured folder is one line on stderr and exit 2."""
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "syncd",
            "explain",
            "--config",
            str(setup.config),
            str(tmp_path / "nowhere"),
        ],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=30,
        check=False,
    )
    assert proc.returncode == 2
    assert proc.stderr.startswith("syncd: ")
