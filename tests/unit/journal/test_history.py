"""The history table (schema v5): rows written with completions, pauses and restores,
read newest first through the read-only peek, trimmed by age and count, with plans
that search an index; and the copy facts the remote index keeps for a touch."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncd.domain import ConflictKind, ConflictRecord, RelPath
from syncd.journal import HistoryEvent, Journal, Written, history
from syncd.journal.peek import JournalPeek
from syncd.journal.peek_history import HistoryQuery, statement
from syncd.remote import FileVersion
from tests.support.fake_clock import START_MS, FakeClock
from tests.unit.journal.conftest import Change, Entry
from tests.unit.journal.test_plans import captured, plan_of, walks

FOLDER = "docs"


def version(name: str, file_id: str, *, action: str = "upload", size: int = 10,
            content_type: str | None = "text/plain", encryption: str | None = None,
            info: dict[str, str] | None = None) -> FileVersion:  # fmt: skip
    """A version of ``prefix/name`` as B2 describes it."""
    return FileVersion(
        file_id=file_id,
        file_name="prefix/" + name,
        action=action,
        size=size,
        content_sha1="a" * 40 if action != "hide" else None,
        is_sha1_verified=True,
        content_type=content_type if action != "hide" else None,
        upload_timestamp_ms=START_MS,
        src_last_modified_ms=5_000,
        file_info={"src_last_modified_millis": "5000"} if info is None else info,
        encryption=encryption,
    )


def complete(journal: Journal, change: Change, entry: Entry, rel: str, written: Written,
             *, remove: bool = False) -> None:  # fmt: skip
    """Record a hint for ``rel``, claim it and complete it with ``written``."""
    journal.record([change(rel)], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1000)
    index = None if remove else entry(rel)
    journal.complete(job, index=index, remove_index=remove, written=written)


def rows(path: Path, **query: object) -> list[tuple[object, ...]]:
    """(action, path, file_id, detail) of the rows a query finds, newest first."""
    with JournalPeek(path) as peek:
        found = peek.history(HistoryQuery(**query))  # type: ignore[arg-type]
    return [(r.action, r.rel_path, r.file_id, r.detail) for r in found]


def test_completions_write_their_history_newest_first(
    journal: Journal, journal_path: Path, clock: FakeClock, change: Change, entry: Entry
) -> None:
    """Upload, touch copy, conflict, hide and purge each leave a row; newest first."""
    complete(journal, change, entry, "d/a.txt", Written(versions=(version("d/a.txt", "1"),)))
    clock.advance(10)
    copy = version("d/a.txt", "2", action="copy")
    complete(journal, change, entry, "d/a.txt", Written(versions=(copy,), detail="touch"))
    clock.advance(10)
    met = ConflictRecord(folder=FOLDER, rel_path=RelPath("b.txt"), remote_file_id="9",
                         kind=ConflictKind.CONFLICT, resolution="kept both",
                         kept_as=None, detected_ms=clock.now_ms())  # fmt: skip
    complete(journal, change, entry, "b.txt", Written(versions=(version("b.txt", "3"),),
                                                      conflict=met))  # fmt: skip
    clock.advance(10)
    hide = version("d/a.txt", "4", action="hide", size=0)
    complete(journal, change, entry, "d/a.txt", Written(versions=(hide,), detail="deleted"),
             remove=True)  # fmt: skip
    clock.advance(10)
    complete(journal, change, entry, "b.txt", Written(purged="prefix/b.txt"), remove=True)
    journal.flush()
    assert rows(journal_path) == [
        ("delete", "b.txt", None, "every version"),
        ("hide", "d/a.txt", "4", "deleted"),
        ("upload", "b.txt", "3", ""),
        ("conflict", "b.txt", "9", "conflict: kept both"),
        ("copy", "d/a.txt", "2", "touch"),
        ("upload", "d/a.txt", "1", ""),
    ]
    assert [r[2] for r in rows(journal_path, folder=FOLDER, rel_path="d/a.txt")] == ["4", "2", "1"]
    assert [r[2] for r in rows(journal_path, folder=FOLDER, under="d")] == ["4", "2", "1"]
    assert [r[2] for r in rows(journal_path, since_ms=clock.now_ms() - 10)] == [None, "4"]
    assert rows(journal_path, folder="other") == []
    assert len(rows(journal_path, limit=2)) == 2


def test_a_pause_and_a_resume_are_kept_once(
    journal: Journal, journal_path: Path, clock: FakeClock
) -> None:
    """Pausing twice to the same end is one row; a resume is another; folder rows have no path."""
    journal.state.set_paused_until(FOLDER, clock.now_ms() + 3_600_000)
    journal.state.set_paused_until(FOLDER, clock.now_ms() + 3_600_000)
    clock.advance(5)
    journal.state.set_paused_until(FOLDER, 1 << 62)
    clock.advance(5)
    journal.state.set_paused_until(FOLDER, 0)
    found = rows(journal_path, folder=FOLDER)
    assert [(a, p, str(d)[:6]) for a, p, _, d in found] == [
        ("resume", None, ""), ("pause", None, "until "), ("pause", None, "until "),
    ]  # fmt: skip
    assert str(found[1][3]) == "until resumed"


def test_an_in_place_restore_is_kept_with_its_index_entry(
    journal: Journal, journal_path: Path, entry: Entry
) -> None:
    """put_index with a restore note writes one restore row per entry, same transaction."""
    journal.put_index([entry("r.txt", file_id="7")], restored="in place, version 5")
    journal.put_index([entry("plain.txt")])
    assert rows(journal_path) == [("restore", "r.txt", "7", "in place, version 5")]


def test_record_history_keeps_prune_deletes(journal: Journal, journal_path: Path) -> None:
    """Events recorded on their own (a prune's deletes) are read back like the others."""
    journal.record_history(FOLDER, [
        HistoryEvent(action="delete", rel_path="old.txt", file_id="1", size=3, detail="prune"),
    ])  # fmt: skip
    assert rows(journal_path) == [("delete", "old.txt", "1", "prune")]


def test_trim_drops_old_rows_and_keeps_a_row_cap(
    journal: Journal, journal_path: Path, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows past KEEP_MS go, and beyond KEEP_ROWS the oldest go."""
    old = [HistoryEvent(action="upload", rel_path=f"old{i}", file_id=str(i)) for i in range(3)]
    journal.record_history(FOLDER, old)
    clock.advance(history.KEEP_MS + 1)
    new = [HistoryEvent(action="upload", rel_path=f"new{i}", file_id=str(i)) for i in range(5)]
    journal.record_history(FOLDER, new)
    monkeypatch.setattr(history, "KEEP_ROWS", 2)
    with journal._db.write("trim") as conn:
        assert history.trim(conn, clock.now_ms()) == 6
    assert [r[1] for r in rows(journal_path)] == ["new4", "new3"]


def test_the_trimmer_runs_hourly_or_every_ten_thousand_rows() -> None:
    """First write trims; then only after an hour or TRIM_EVERY_ROWS rows."""
    trimmer = history.Trimmer()
    assert trimmer.due(0, 1)
    assert not trimmer.due(1_000, 1)
    assert trimmer.due(1_000, history.TRIM_EVERY_ROWS)
    assert not trimmer.due(2_000, 1)
    assert trimmer.due(2_000 + history.TRIM_EVERY_MS, 0)


def test_history_statements_search_an_index(
    journal: Journal, journal_path: Path, change: Change, entry: Entry
) -> None:
    """Insert, trim and every read of the history: an index search, no scan or sort."""
    with captured(journal) as seen:
        complete(journal, change, entry, "a", Written(versions=(version("a", "1"),)))
        journal.flush()
    queries = [
        HistoryQuery(),
        HistoryQuery(folder=FOLDER, since_ms=5),
        HistoryQuery(folder=FOLDER, rel_path="a"),
        HistoryQuery(folder=FOLDER, under="d"),
    ]
    checked: list[tuple[str, Any]] = [statement(q, {FOLDER: 1}) for q in queries]
    checked += [(st, ()) for st, _ in seen if "history" in st]
    assert len(checked) >= 7  # the four reads, the insert and both trims
    for sql, params in checked:
        lines = plan_of(journal_path, sql, params if params else None)
        assert not any(walks(line) or line.startswith("SCAN") for line in lines), (sql, lines)


def test_the_remote_index_keeps_what_a_copy_needs(
    journal: Journal, clock: FakeClock, change: Change, entry: Entry
) -> None:
    """copy_source gives back the content type, file info and encryption of own and listed rows."""
    info = {"large_file_sha1": "b" * 40, "src_last_modified_millis": "5000"}
    big = version("big", "1", content_type="video/mp4", encryption="SSE-B2", info=info)
    complete(journal, change, entry, "big", Written(versions=(big,)))
    walk = journal.remote.begin_walk(FOLDER, clock.now_ms())
    listed = [version("l", "2", content_type="text/html"), version("nt", "3", content_type=None),
              version("h", "4", action="hide")]  # fmt: skip
    journal.remote.store_page(FOLDER, walk.walk, listed, None)
    source = journal.remote.copy_source(FOLDER, "prefix/big", "1", "bucket-id")
    assert source is not None
    assert (source.content_type, dict(source.file_info), source.encryption, source.bucket_id) == (
        "video/mp4", dict(big.file_info), "SSE-B2", "bucket-id",
    )  # fmt: skip
    assert (source.size, source.content_sha1, source.is_large) == (10, "a" * 40, True)
    from_walk = journal.remote.copy_source(FOLDER, "prefix/l", "2", "b")
    assert from_walk is not None
    assert from_walk.content_type == "text/html"
    assert journal.remote.copy_source(FOLDER, "prefix/nt", "3", "b") is None
    assert journal.remote.copy_source(FOLDER, "prefix/h", "4", "b") is None
    assert journal.remote.copy_source(FOLDER, "prefix/big", "nope", "b") is None
