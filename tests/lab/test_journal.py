"""Scenario 3: the journal rewound to an older copy, and the journal damaged.

Rewind: a copy of the journal (with its WAL) taken while syncd is stopped is put back
after more syncing; syncd must converge with 0 duplicate versions. Damage: each variant
must end ``syncd run`` and ``syncd sync-now`` with one ``syncd:`` line on stderr, no
traceback and a non-zero exit; the documented recovery (move the journal aside) must
then re-adopt everything from B2 with 0 uploads.
"""

from __future__ import annotations

import itertools
import os
import random
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import LabDaemon, Recorder, wait_quiet, wait_verdict
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView, Version
from tests.support.harness import Setup, sync_now

pytestmark = pytest.mark.lab

JOURNAL = "journal.sqlite3"
SIDE = ("", "-wal", "-shm")
UPLOAD_CALLS = ("b2_upload_file", "b2_start_large_file", "b2_copy_file")


def uploads(emulator: EmulatorServer) -> int:
    """Upload-like calls (new versions) counted by the emulator since the last reset."""
    calls = emulator.stats()["calls"]
    return sum(int(calls.get(c, 0)) for c in UPLOAD_CALLS)


def repeated_markers(versions: list[Version]) -> list[str]:
    """Names whose two newest entries are both hide markers (a hide sent twice)."""
    out = []
    for newer, older in itertools.pairwise(versions):
        if newer.name == older.name and newer.action == older.action == "hide":
            out.append(newer.name)
    return out


def copy_journal(state: Path, dest: Path) -> None:
    """Copy the journal and its WAL/SHM (syncd must be stopped)."""
    dest.mkdir(parents=True, exist_ok=True)
    for suffix in SIDE:
        src = state / (JOURNAL + suffix)
        if src.exists():
            shutil.copy2(src, dest / src.name)


def restore_journal(backup: Path, state: Path) -> None:
    """Put a copied journal back, removing sidecars the copy did not have."""
    for suffix in SIDE:
        (state / (JOURNAL + suffix)).unlink(missing_ok=True)
        src = backup / (JOURNAL + suffix)
        if src.exists():
            shutil.copy2(src, state / src.name)


REWIND_BUG = (
    "syncd bug: a journal that lost rows (rewound to an older copy, or a WAL cut after "
    "kill -9) re-uploads every file synced since, making duplicate versions: the index is "
    "not empty so adoption is skipped, and a new-to-the-index file is sent without looking "
    "at B2's newest version of that name (same size and src_last_modified_millis). Repro: "
    "sync 40 files, copy journal.sqlite3*, add 30 files + sync, restore the copy, start: "
    "32 uploads, 32 duplicate versions"
)


@pytest.mark.xfail(strict=True, reason=REWIND_BUG)
@pytest.mark.timeout(300)
def test_rewound_journal_converges_without_duplicates(
    setup: Setup, view: BucketView, emulator: EmulatorServer, lab_dir: Path, record: Recorder
) -> None:
    """An older copy of the journal put back converges with 0 duplicate versions."""
    record.describe(
        "3a journal rewound to an older copy",
        "bucket converges; 0 duplicate versions; 0 repeated hides; re-uploads counted",
    )
    rng = random.Random(3)
    files = make_files(setup.root, 40, sub="old")
    (setup.root / "big.bin").write_bytes(rng.randbytes(700_000))
    assert sync_now(setup)[0] == 0
    copy_journal(setup.state, lab_dir / "backup")
    make_files(setup.root, 30, sub="new")
    files[0].write_bytes(b"changed after the copy")
    files[1].unlink()
    (setup.root / "big.bin").write_bytes(rng.randbytes(700_000))
    assert sync_now(setup)[0] == 0
    restore_journal(lab_dir / "backup", setup.state)
    emulator.reset_stats()
    daemon = LabDaemon(setup, lab_dir, "rewound")
    daemon.wait_ready()
    found, took = wait_verdict(view, setup, 60)
    assert wait_quiet(setup)
    found = wait_verdict(view, setup, 30)[0]
    assert daemon.terminate() == 0, daemon.log()
    versions = view.versions(setup.bucket, setup.prefix)
    record.fig("files", found.local)
    record.fig("uploads after rewind", uploads(emulator))
    record.fig("repeated hides", len(repeated_markers(versions)))
    record.fig("duplicate versions", len(found.duplicates))
    record.fig("converged s", took)
    assert found.ok, found.summary()
    assert repeated_markers(versions) == []


def torn_page(journal: Path) -> None:
    """Overwrite 4 KiB in the middle of the journal with junk (a torn write)."""
    size = journal.stat().st_size
    with journal.open("r+b") as f:
        f.seek((size // 2) & ~4095)
        f.write(random.Random(1).randbytes(4096))


def zero_header(journal: Path) -> None:
    """Overwrite the first 100 bytes (the SQLite header)."""
    with journal.open("r+b") as f:
        f.write(b"\0" * 100)


def set_pragma(name: str, value: int) -> Callable[[Path], None]:
    """A damage that rewrites one header field through SQLite itself."""

    def damage(journal: Path) -> None:
        conn = sqlite3.connect(journal)
        conn.execute(f"PRAGMA {name}={value}")
        conn.commit()
        conn.close()

    return damage


def truncate_to(size: int) -> Callable[[Path], None]:
    """A damage that cuts the journal file to ``size`` bytes."""

    def damage(journal: Path) -> None:
        os.truncate(journal, size)

    return damage


def not_sqlite(journal: Path) -> None:
    """Replace the journal with text."""
    journal.write_text("this is not a database\n" * 100)


DAMAGES: dict[str, Callable[[Path], None]] = {
    "torn page": torn_page,
    "zeroed header": zero_header,
    "foreign application_id": set_pragma("application_id", 0x1234),
    "newer user_version": set_pragma("user_version", 99),
    "zero bytes": truncate_to(0),
    "truncated to 3 pages": truncate_to(3 * 4096),
    "not SQLite": not_sqlite,
}


@pytest.mark.xfail(strict=True, reason=REWIND_BUG)
@pytest.mark.timeout(300)
def test_truncated_wal_after_kill9_converges(
    setup: Setup, view: BucketView, emulator: EmulatorServer, lab_dir: Path, record: Recorder
) -> None:
    """A WAL cut mid-frame after kill -9 loses only recent journal rows: 0 duplicates."""
    record.describe(
        "3c journal WAL truncated after kill -9",
        "next start opens (or refuses in one line); bucket converges; 0 duplicate versions",
    )
    daemon = LabDaemon(setup, lab_dir, "wal")
    daemon.wait_ready()
    make_files(setup.root, 200, size=200, sub="w")
    first, _ = wait_verdict(view, setup, 60)
    assert first.ok, first.summary()
    daemon.kill()
    wal = setup.state / (JOURNAL + "-wal")
    wal_size = wal.stat().st_size if wal.exists() else 0
    record.fig("WAL bytes before cut", wal_size)
    if wal_size < 100_000:
        pytest.skip(f"the WAL held only {wal_size} bytes at the kill")
    if wal_size:
        os.truncate(wal, wal_size // 2 + 1000)
    emulator.reset_stats()
    again = LabDaemon(setup, lab_dir, "wal2")
    again.wait_ready()
    assert wait_quiet(setup)
    found, _ = wait_verdict(view, setup, 30)
    assert again.terminate() == 0, again.log()
    record.fig("uploads after cut", uploads(emulator))
    record.fig("duplicate versions", len(found.duplicates))
    assert "Traceback" not in again.log()
    assert found.ok, found.summary()


def run_cli(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    """Run a syncd command with the test config; never longer than 60 s."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args, "--config", str(setup.config)],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )


@pytest.mark.timeout(300)
@pytest.mark.parametrize("damage", sorted(DAMAGES))
def test_damaged_journal_is_refused_in_one_line_and_recovery_readopts(
    damage: str, setup: Setup, view: BucketView, emulator: EmulatorServer, record: Recorder
) -> None:
    """A damaged journal stops run and sync-now in one line; moving it aside re-adopts."""
    record.describe(
        f"3b journal damaged: {damage}",
        "run, sync-now, status: exit non-zero, one 'syncd:' line, no traceback; "
        "journal moved aside -> 0 uploads, bucket converged",
    )
    make_files(setup.root, 400, size=300, sub="many")
    assert sync_now(setup)[0] == 0
    journal = setup.state / JOURNAL
    conn = sqlite3.connect(journal)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    DAMAGES[damage](journal)
    damaged = journal.read_bytes()
    outcomes = []
    for args in (("run",), ("sync-now",), ("status",)):
        proc = run_cli(setup, *args)
        lines = [line for line in proc.stderr.splitlines() if line.strip()]
        outcomes.append((args[0], proc.returncode, lines[-1:] if lines else []))
        assert proc.returncode != 0, f"{args}: exit 0\n{proc.stderr[-2000:]}"
        assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
        assert len(lines) == 1, proc.stderr[-3000:]
        assert lines[0].startswith("syncd: "), lines
        assert "journal" in lines[0], lines
    record.fig("exit codes", {a: c for a, c, _ in outcomes})
    record.fig("message", outcomes[0][2][0].replace(str(setup.state), "STATE")[:140])
    if damage == "newer user_version":
        assert journal.read_bytes() == damaged, "a newer journal must be left untouched"
    aside = setup.state / "aside"
    aside.mkdir()
    for suffix in SIDE:
        src = setup.state / (JOURNAL + suffix)
        if src.exists():
            src.rename(aside / src.name)
    emulator.reset_stats()
    code, summary, err = sync_now(setup)
    record.fig("uploads after recovery", uploads(emulator))
    assert code == 0, err
    assert uploads(emulator) == 0, summary
    found, _ = wait_verdict(view, setup, 5)
    assert found.ok, found.summary()
