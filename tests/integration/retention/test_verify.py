"""``syncd verify`` (scrub) against the emulator: bit rot is found and repaired."""

from __future__ import annotations

import os
import random
from pathlib import Path

import pytest

from syncd.app.verify import run_verify
from syncd.config import load_config
from syncd.emulator import EmulatorServer
from syncd.engine.scrub import Finding, ScrubOptions
from tests.integration.restore.conftest import syncd
from tests.support.harness import KEY_ENV, Setup, sync_now

pytestmark = pytest.mark.integration


def rot(path: Path) -> None:
    """Flip the bytes of ``path`` in place, same size, and put its mtime back."""
    st = path.stat()
    data = path.read_bytes()
    path.write_bytes(bytes(b ^ 0xFF for b in data))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert path.stat().st_size == st.st_size
    assert path.stat().st_mtime_ns == st.st_mtime_ns


def synced(setup: Setup) -> None:
    """Two files on B2 through sync-now."""
    (setup.root / "a.txt").write_bytes(b"precious bytes " * 100)
    (setup.root / "b.txt").write_bytes(b"other bytes")
    assert sync_now(setup)[0] == 0


def uploads(emulator: EmulatorServer) -> int:
    """How many simple uploads the emulator served."""
    return int(emulator.stats()["calls"].get("b2_upload_file", 0))


def test_bit_rot_is_found_downloaded_and_repaired(setup: Setup, emulator: EmulatorServer) -> None:
    """Changed bytes under an unchanged mtime are a mismatch; --repair uploads them."""
    synced(setup)
    rot(setup.root / "a.txt")
    config = load_config(setup.config, environ={KEY_ENV: setup.key})
    [report] = run_verify(config, None, ScrubOptions(download=True), rng=random.Random(1))
    found = {c.rel_path: c.finding for c in report.checked}
    assert found == {"a.txt": Finding.SILENT_CHANGE, "b.txt": Finding.OK}
    assert report.downloaded == 1  # only the matching file: its bytes are checked too
    sent = uploads(emulator)
    [repaired] = run_verify(config, "folder", ScrubOptions(repair=True))
    assert repaired.queued == 1
    assert sync_now(setup)[0] == 0
    assert uploads(emulator) == sent + 1
    [again] = run_verify(config, None, ScrubOptions())
    assert [c.finding for c in again.checked] == [Finding.OK, Finding.OK]


def test_cli_lists_the_mismatch_and_exits_1(setup: Setup) -> None:
    """`syncd verify --json` names the rotten file and exits 1; a sample checks fewer."""
    synced(setup)
    rot(setup.root / "b.txt")
    result = syncd(setup, "verify")
    assert result.code == 1, result.err
    files = {f["path"]: f["finding"] for f in result.doc["folders"][0]["files"]}
    assert files == {"a.txt": "ok", "b.txt": "content_changed_mtime_kept"}
    assert "scrub_mismatch_found" in result.err + result.out
    bad = syncd(setup, "verify", "--sample", "0%")
    assert bad.code == 2


def test_cached_verify_lists_nothing(setup: Setup, emulator: EmulatorServer) -> None:
    """--cached takes B2's sha1s from the remote index: bit rot found, no list call."""
    synced(setup)
    config = load_config(setup.config, environ={KEY_ENV: setup.key})
    assert sync_now(setup, "--reconcile")[0] == 0  # a walk fills the remote index
    rot(setup.root / "a.txt")
    emulator.reset_stats()
    [report] = run_verify(config, None, ScrubOptions(), cached=True)
    assert {c.rel_path: c.finding for c in report.checked} == {
        "a.txt": Finding.SILENT_CHANGE,
        "b.txt": Finding.OK,
    }
    calls = emulator.stats()["calls"]
    assert not any(name.startswith("b2_list_file") for name in calls if calls[name])
