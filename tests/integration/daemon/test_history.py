"""``syncd history`` against the emulator over HTTP, after real syncs: what syncd did,
from the journal (no B2 call, no key), and ``--versions``: B2's versions of a path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.harness import (
    KEY_ENV,
    DaemonProcess,
    NotifySocket,
    Setup,
    sync_now,
    wait_until,
)

pytestmark = pytest.mark.integration


def history(setup: Setup, *args: str, key: bool = True) -> tuple[int, dict[str, Any]]:
    """Run ``syncd history --json ARGS``; return (exit code, document)."""
    env = setup.env() if key else {k: v for k, v in setup.env().items() if k != KEY_ENV}
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "history", "--config", str(setup.config), *args,
         "--json"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    return proc.returncode, json.loads(proc.stdout) if proc.stdout.startswith("{") else {}


def events(doc: dict[str, Any]) -> list[tuple[str, str | None, str]]:
    """(action, path, detail) of each event, as printed (newest first)."""
    return [(e["action"], e["path"], e["detail"]) for e in doc["events"]]


def test_history_shows_what_syncd_did_newest_first_without_b2(
    setup: Setup, emulator: EmulatorServer
) -> None:
    """Upload, touch, rename and delete are listed newest first; no B2 call, no key needed."""
    docs = setup.root / "docs"
    docs.mkdir()
    (docs / "a.txt").write_text("one")
    (setup.root / "b.txt").write_text("bee")
    assert sync_now(setup)[0] == 0
    st = (docs / "a.txt").stat()
    os.utime(docs / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns + 10**10))
    (setup.root / "b.txt").rename(docs / "c.txt")
    assert sync_now(setup)[0] == 0
    (docs / "a.txt").unlink()
    assert sync_now(setup)[0] == 0
    emulator.reset_stats()
    code, doc = history(setup, key=False)
    assert code == 0
    assert emulator.stats()["calls"] == {}
    found = events(doc)
    assert found[0] == ("hide", "docs/a.txt", "deleted locally")
    assert set(found[1:4]) == {
        ("copy", "docs/a.txt", "touch"),
        ("copy", "docs/c.txt", "rename from b.txt"),
        ("hide", "b.txt", "deleted locally"),
    }
    assert sorted(found[4:]) == [("upload", "b.txt", ""), ("upload", "docs/a.txt", "")]
    times = [e["at_ms"] for e in doc["events"]]
    assert times == sorted(times, reverse=True)
    code, one = history(setup, str(docs / "a.txt"), key=False)
    assert [e[0] for e in events(one)] == ["hide", "copy", "upload"]
    code, under = history(setup, str(docs), key=False)
    assert {e[1] for e in events(under)} == {"docs/a.txt", "docs/c.txt"}
    code, recent = history(setup, "--since", "30m", "--limit", "2", key=False)
    assert (code, len(recent["events"])) == (0, 2)


def test_history_of_nothing_exits_1_and_a_bad_duration_exits_2(setup: Setup) -> None:
    """A path with no rows: exit 1 and an empty list; --since nonsense: exit 2."""
    (setup.root / "a.txt").write_text("a")
    assert sync_now(setup)[0] == 0
    code, doc = history(setup, str(setup.root / "never.txt"))
    assert (code, doc["events"]) == (1, [])
    assert history(setup, "--since", "soon")[0] == 2


def test_history_reads_beside_a_running_daemon(setup: Setup, tmp_path: Path) -> None:
    """While the daemon runs, a new upload shows up in history (read-only journal reader)."""
    daemon = DaemonProcess(setup, NotifySocket(tmp_path / "n.sock"), tmp_path / "d.log")
    live = setup.root / "live.txt"
    try:
        daemon.wait_ready()
        live.write_text("live")
        assert wait_until(lambda: history(setup, str(live))[0] == 0, 30), daemon.log()
        assert events(history(setup, str(live))[1]) == [("upload", "live.txt", "")]
    finally:
        assert daemon.terminate() == 0
        daemon.notify.close()


def test_versions_lists_b2_versions_newest_first_and_marks_current_and_recorded(
    setup: Setup, view: BucketView
) -> None:
    """v1, v2 then a delete: hide, v2, v1 newest first; before the delete v2 is current."""
    path = setup.root / "doc.txt"
    path.write_text("one")
    assert sync_now(setup)[0] == 0
    path.write_text("two, longer")
    assert sync_now(setup)[0] == 0
    code, doc = history(setup, "--versions", str(path))
    assert code == 0
    first, second = doc["versions"]
    assert (first["size"], first["is_current"], first["is_recorded"]) == (11, True, True)
    assert (second["size"], second["is_current"], second["is_recorded"]) == (3, False, False)
    remote = view.latest(setup.bucket, setup.prefix)[setup.prefix + "doc.txt"]
    assert first["file_id"] == remote.file_id
    path.unlink()
    assert sync_now(setup)[0] == 0
    code, doc = history(setup, "--versions", str(path))
    assert [v["action"] for v in doc["versions"]] == ["hide", "upload", "upload"]
    assert not any(v["is_current"] for v in doc["versions"])


def test_versions_of_a_path_never_synced_exits_1(setup: Setup) -> None:
    """No version on B2: an empty list and exit 1; --versions without PATH is a usage error."""
    code, doc = history(setup, "--versions", str(setup.root / "never.txt"))
    assert (code, doc["versions"]) == (1, [])
    assert history(setup, "--versions")[0] == 2
