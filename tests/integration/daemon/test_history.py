"""``syncd history PATH`` against the emulator over HTTP, after real syncs."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.integration


def history(setup: Setup, path: Path) -> tuple[int, dict[str, Any]]:
    """Run ``syncd history --json``; return (exit code, document)."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "history", "--config", str(setup.config), str(path),
         "--json"],
        capture_output=True, text=True, env=setup.env(), timeout=60, check=False,
    )  # fmt: skip
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else {}


def test_history_lists_versions_newest_first_and_marks_current_and_recorded(
    setup: Setup, view: BucketView
) -> None:
    """v1, v2 then a delete: hide, v2, v1 newest first; before the delete v2 is current."""
    path = setup.root / "doc.txt"
    path.write_text("one")
    assert sync_now(setup)[0] == 0
    path.write_text("two, longer")
    assert sync_now(setup)[0] == 0
    code, doc = history(setup, path)
    assert code == 0
    first, second = doc["versions"]
    assert (first["size"], first["is_current"], first["is_recorded"]) == (11, True, True)
    assert (second["size"], second["is_current"], second["is_recorded"]) == (3, False, False)
    remote = view.latest(setup.bucket, setup.prefix)[setup.prefix + "doc.txt"]
    assert first["file_id"] == remote.file_id
    path.unlink()
    assert sync_now(setup)[0] == 0
    code, doc = history(setup, path)
    assert [v["action"] for v in doc["versions"]] == ["hide", "upload", "upload"]
    assert not any(v["is_current"] for v in doc["versions"])


def test_history_of_a_path_never_synced_exits_1(setup: Setup) -> None:
    """No version on B2: an empty list and exit 1."""
    code, doc = history(setup, setup.root / "never.txt")
    assert (code, doc["versions"]) == (1, [])
