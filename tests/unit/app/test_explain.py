"""``syncd explain``: verdicts from the folder's rules, the local file and a real journal."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from syncd.app.explain import MARKER_NAME, explain
from syncd.app.files import JOURNAL_NAME
from syncd.config import Config, load_config
from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalChange, RelPath, SkippedItem
from syncd.engine.local import MARKER_NAME as ENGINE_MARKER_NAME
from syncd.errors import UsageError
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """Folder "docs" excluding *.tmp and build/, with exclude_if_present = .nobackup."""
    root = tmp_path / "docs"
    (root / "build" / "out").mkdir(parents=True)
    (root / "private").mkdir()
    (root / "private" / ".nobackup").write_text("")
    (tmp_path / "state").mkdir()
    path = tmp_path / "syncd.toml"
    path.write_text(
        f'[b2]\nrealm = "embedded"\n[state]\ndir = "{tmp_path / "state"}"\n'
        f'[[folder]]\npath = "{root}"\nbucket = "demo-bucket"\n'
        'exclude = ["*.tmp", "build/"]\n'
    )
    return load_config(path, resolve_key=False)


def root(config: Config) -> Path:
    """The folder's root."""
    return config.folders[0].path


def index_entry(rel: str, data: bytes, st: os.stat_result) -> IndexEntry:
    """An index entry for a file with these bytes and stat."""
    return IndexEntry(
        folder="docs",
        rel_path=RelPath(rel),
        b2_name=B2Name(rel),
        dev=st.st_dev,
        inode=st.st_ino,
        size=len(data),
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        sha1=hashlib.sha1(data).hexdigest(),
        file_id="4_zfile",
        upload_timestamp_ms=1,
    )


def test_an_excluded_path_names_the_pattern_and_the_directory(config: Config) -> None:
    """A pattern on the file, one on a directory above, and a marker file each name the rule."""
    e = explain(config, root(config) / "a.tmp")
    assert (e.verdict, e.rule) == ("excluded", "*.tmp")
    e = explain(config, root(config) / "build" / "out" / "x.c")
    assert (e.verdict, e.rule) == ("excluded", "build/")
    assert "directory build/ above it" in e.reason
    e = explain(config, root(config) / "private" / "notes.txt")
    assert e.verdict == "excluded"
    assert "private holds .nobackup" in e.reason
    assert explain(config, root(config) / MARKER_NAME).verdict == "excluded"
    assert MARKER_NAME == ENGINE_MARKER_NAME


def test_journal_states_become_verdicts(config: Config) -> None:
    """synced, changed, pending, failing (with error) and skipped come from the journal."""
    clock = FakeClock()
    data = b"hello"
    for name in ("same.txt", "edited.txt", "waits.txt", "fails.txt"):
        (root(config) / name).write_bytes(data)
    with Journal.open(config.state.dir / JOURNAL_NAME, clock=clock) as journal:
        journal.put_index(
            [index_entry(n, data, (root(config) / n).stat()) for n in ("same.txt", "edited.txt")]
        )

        def hint(name: str) -> LocalChange:
            return LocalChange(
                folder="docs",
                rel_path=RelPath(name),
                kind=ChangeKind.CHANGED,
                observed_ms=clock.now_ms(),
            )

        journal.record([hint("fails.txt")], settle_ms=0, delete_hold_ms=0, max_deferral_ms=1)
        journal.record(
            [hint("waits.txt")], settle_ms=60_000, delete_hold_ms=0, max_deferral_ms=60_000
        )
        (job,) = journal.claim(worker="w", limit=5, lease_ms=1000)
        assert job.rel_path == "fails.txt"
        journal.fail(job, error="400 bad_request: invalid name", retry_at_ms=clock.now_ms() + 5000)
        journal.report_issue(SkippedItem(folder="docs", rel_path=RelPath("fifo"), reason="a FIFO"))
    (root(config) / "edited.txt").write_bytes(b"HELLO!")
    assert explain(config, root(config) / "same.txt").verdict == "synced"
    assert explain(config, root(config) / "same.txt", with_hash=True).reason == "on B2, same SHA-1"
    assert explain(config, root(config) / "edited.txt").verdict == "changed"
    assert explain(config, root(config) / "waits.txt").verdict == "pending"
    failing = explain(config, root(config) / "fails.txt")
    assert failing.verdict == "failing"
    assert failing.pending is not None
    assert failing.pending.last_error == "400 bad_request: invalid name"
    assert explain(config, root(config) / "fifo").verdict == "skipped"
    assert explain(config, root(config) / "new.txt").verdict == "absent"


def test_a_path_outside_every_folder_is_a_usage_error(config: Config, tmp_path: Path) -> None:
    """A path in no configured folder raises UsageError (exit 2)."""
    with pytest.raises(UsageError, match="in no configured folder"):
        explain(config, tmp_path / "elsewhere.txt")
