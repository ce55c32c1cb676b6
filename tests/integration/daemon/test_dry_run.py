"""`syncd sync-now --dry-run`: the per-path plan, and nothing recorded anywhere."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import EmulatorServer
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.integration


def journal_digest(state: Path) -> str:
    """A digest of the journal's bytes (main file and WAL), or "absent"."""
    files = sorted(p for p in state.glob("journal*") if not p.name.endswith("-shm"))
    if not files:
        return "absent"
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def status(setup: Setup) -> dict[str, Any]:
    """`syncd status --json` of the one folder."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "--config", str(setup.config), "--json"],
        capture_output=True,
        text=True,
        env=setup.env(),
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    folders: list[dict[str, Any]] = json.loads(proc.stdout)["folders"]
    return folders[0] if folders else {}


def test_dry_run_before_any_sync_creates_no_journal(setup: Setup, emulator: EmulatorServer) -> None:
    """A first dry run plans every file as a new upload and leaves no journal behind."""
    (setup.root / "a.txt").write_text("a\n")
    (setup.root / "sub").mkdir()
    (setup.root / "sub" / "b.txt").write_text("b\n")
    code, summary, err = sync_now(setup, "--dry-run")
    assert code == 0, err
    assert journal_digest(setup.state) == "absent"
    assert sorted((i["path"], i["action"], i["reason"]) for i in summary["plan"]) == [
        ("a.txt", "upload", "new"),
        ("sub/b.txt", "upload", "new"),
    ]
    assert emulator.stats()["calls"].get("b2_upload_file", 0) == 0
    assert not (setup.root / ".syncd-folder").exists()


def test_dry_run_prints_the_plan_and_records_nothing(
    setup: Setup, emulator: EmulatorServer
) -> None:
    """After a sync, a dry run lists upload/copy/hide/skip per path and changes no byte."""
    for name in ("same.txt", "edit.txt", "gone.txt", "old-name.txt"):
        (setup.root / name).write_text(f"{name}\n")
    assert sync_now(setup)[0] == 0
    (setup.root / "edit.txt").write_text("edited, longer\n")
    (setup.root / "gone.txt").unlink()
    (setup.root / "old-name.txt").rename(setup.root / "new-name.txt")
    (setup.root / "fresh.txt").write_text("fresh\n")
    os.mkfifo(setup.root / "pipe")
    status_before = status(setup)
    before, calls = journal_digest(setup.state), dict(emulator.stats()["calls"])

    code, summary, err = sync_now(setup, "--dry-run")
    assert code == 0, err
    assert journal_digest(setup.state) == before
    assert status(setup) == status_before
    plan = {i["path"]: (i["action"], i["reason"]) for i in summary["plan"]}
    assert plan == {
        "edit.txt": ("upload", "changed"),
        "fresh.txt": ("upload", "new"),
        "new-name.txt": ("copy", "rename"),
        "gone.txt": ("hide", "deleted locally"),
        "old-name.txt": ("hide", "deleted locally"),
        "pipe": ("skip", "not a regular file (FIFO, socket or device)"),
    }
    assert status_before["skipped"] == []
    before = journal_digest(setup.state)  # status may checkpoint the WAL
    after = emulator.stats()["calls"]
    for call in ("b2_upload_file", "b2_copy_file", "b2_hide_file"):
        assert after.get(call, 0) == calls.get(call, 0), call

    text = subprocess.run(
        [sys.executable, "-m", "syncd", "sync-now", "--config", str(setup.config), "--dry-run"],
        capture_output=True,
        text=True,
        env=setup.env(),
        check=False,
    )
    assert text.returncode == 0, text.stderr
    assert "upload  folder:edit.txt (changed)" in text.stdout
    assert "hide    folder:gone.txt (deleted locally)" in text.stdout
    assert "copy    folder:new-name.txt (rename)" in text.stdout
    assert journal_digest(setup.state) == before
