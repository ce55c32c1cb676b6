"""``syncd quickstart``: the one command of the README's quick start, run as a user would."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration


def test_quickstart_syncs_changes_lists_versions_and_restores(tmp_path: Path) -> None:
    """Exit 0; 3 files up, 1 changed, 2 versions, and the restored file holds the first text."""
    target = tmp_path / "qs"
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "quickstart", "--dir", str(target)],
        capture_output=True, text=True, timeout=120, check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "first sync: uploaded 3 file(s)" in proc.stdout
    assert "synced again: uploaded 1 file(s)" in proc.stdout
    assert "2 versions on B2" in proc.stdout
    restored = target / "restored" / "folder" / "notes" / "todo.txt"
    assert restored.read_text() == "- try syncd\n"
    assert (target / "folder" / "notes" / "todo.txt").read_text().endswith("- change a file\n")
    assert proc.stderr == ""


def test_quickstart_refuses_a_directory_that_is_not_empty(tmp_path: Path) -> None:
    """A non-empty --dir is exit 2 and nothing is written into it."""
    (tmp_path / "keep.txt").write_text("mine")
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "quickstart", "--dir", str(tmp_path)],
        capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert proc.returncode == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["keep.txt"]
