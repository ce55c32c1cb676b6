"""The remote index: walks stored page by page and resumed, own writes, the divergence
query, conflicts and the B2 call ledger, on a real journal file."""

from __future__ import annotations

from pathlib import Path

from syncd.domain import B2Name, ConflictKind, ConflictRecord, RelPath
from syncd.journal import Journal, Written
from syncd.remote import FileVersion
from tests.support.fake_clock import START_MS, FakeClock
from tests.unit.journal.conftest import Change, Entry
from tests.unit.journal.test_plans import captured, plan_of

FOLDER = "docs"


def version(name: str, file_id: str, *, action: str = "upload", at: int = START_MS) -> FileVersion:
    """A version of ``prefix/name``."""
    return FileVersion(
        file_id=file_id,
        file_name="prefix/" + name,
        action=action,
        size=10,
        content_sha1="a" * 40 if action != "hide" else None,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=at,
        src_last_modified_ms=5_000,
        file_info={},
    )


def walk_all(journal: Journal, pages: list[list[FileVersion]], now_ms: int) -> int:
    """One whole walk of ``pages``; the versions it dropped."""
    walk = journal.remote.begin_walk(FOLDER, now_ms)
    for i, page in enumerate(pages):
        following = (
            (pages[i + 1][0].file_name, pages[i + 1][0].file_id) if i + 1 < len(pages) else None
        )
        journal.remote.store_page(FOLDER, walk.walk, page, following)
    return journal.remote.finish_walk(FOLDER, walk.walk, now_ms)


def divergent(journal: Journal) -> list[tuple[str, str | None]]:
    """(path, B2's newest file id) of every divergent index entry."""
    return [(d.rel_path, d.newest_file_id) for d in journal.remote.divergent(FOLDER)]


def test_an_interrupted_walk_resumes_at_its_cursor(journal: Journal, clock: FakeClock) -> None:
    """A walk cut after its first page resumes there, with the same walk number and counts."""
    first = journal.remote.begin_walk(FOLDER, clock.now_ms())
    journal.remote.store_page(FOLDER, first.walk, [version("a", "1")], ("prefix/b", "2"))
    again = journal.remote.begin_walk(FOLDER, clock.now_ms() + 5)
    assert (again.walk, again.cursor, again.calls, again.versions) == (
        first.walk, ("prefix/b", "2"), 1, 1,
    )  # fmt: skip
    assert again.running
    journal.remote.store_page(FOLDER, again.walk, [version("b", "2")], None)
    assert journal.remote.finish_walk(FOLDER, again.walk, clock.now_ms()) == 0
    done = journal.remote.walk(FOLDER)
    assert done is not None
    assert (done.running, done.last_finished_ms, done.calls) == (False, clock.now_ms(), 2)
    assert [v.file_id for v in journal.remote.iter_versions(FOLDER)] == ["1", "2"]


def test_a_finished_walk_drops_what_it_did_not_see(journal: Journal, clock: FakeClock) -> None:
    """Versions deleted by someone else vanish from the index when the next walk finishes."""
    walk_all(journal, [[version("a", "1"), version("b", "2")]], clock.now_ms())
    assert walk_all(journal, [[version("a", "1")]], clock.now_ms()) == 1
    assert [v.file_id for v in journal.remote.iter_versions(FOLDER)] == ["1"]


def test_own_writes_are_kept_and_marked(journal: Journal, clock: FakeClock, entry: Entry,
                                        change: Change) -> None:  # fmt: skip
    """A completion's written versions enter the index as ours and survive the next walk."""
    walk_all(journal, [[version("a", "1")]], clock.now_ms())
    journal.record([change("a")], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1000)
    mine = version("a", "2", at=START_MS + 10)
    journal.complete(job, index=entry("a", file_id="2"), written=Written(versions=(mine,)))
    assert journal.remote.versions_of(FOLDER, "prefix/a") == [
        (mine, True),
        (version("a", "1"), False),
    ]
    walk_all(journal, [[mine, version("a", "1")]], clock.now_ms())
    assert journal.remote.versions_of(FOLDER, "prefix/a")[0] == (mine, True)


def test_divergent_names_lost_and_covered_versions(journal: Journal, clock: FakeClock,
                                                    entry: Entry) -> None:  # fmt: skip
    """Divergent: the indexed version gone, or under a newer foreign upload or hide."""
    journal.put_index([
        entry("same", file_id="s1"), entry("gone", file_id="g1"),
        entry("newer", file_id="n1"), entry("hidden", file_id="h1"), entry("older", file_id="o1"),
    ])  # fmt: skip
    walk_all(journal, [[
        version("hidden", "h2", action="hide", at=START_MS + 5), version("hidden", "h1"),
        version("newer", "n2", at=START_MS + 5), version("newer", "n1"),
        version("older", "o1"), version("older", "o0", at=START_MS - 5),
        version("same", "s1"), version("same", "s2", action="start", at=START_MS + 5),
    ]], clock.now_ms())  # fmt: skip
    # another client's unfinished large file ("start") under "same" is not a version of it
    assert sorted(divergent(journal)) == [("gone", None), ("hidden", "h2"), ("newer", "n2")]


def test_divergence_reads_one_name_at_a_time(journal: Journal, journal_path: Path,
                                             entry: Entry, clock: FakeClock) -> None:  # fmt: skip
    """The divergence query reads the folder's index once and the remote index by name."""
    journal.put_index([entry(f"f{i:03d}", file_id=f"x{i}") for i in range(50)])
    walk_all(journal, [[version(f"f{i:03d}", f"x{i}") for i in range(50)]], clock.now_ms())
    with captured(journal) as seen:
        assert divergent(journal) == []
    [(statement, params)] = [(s, p) for s, p in seen if "remote_versions" in s]
    lines = plan_of(journal_path, statement, params)
    remote_steps = [line for line in lines if line.startswith("SEARCH r ")]  # remote_versions
    assert len(remote_steps) == 3, lines
    assert all("PRIMARY KEY (folder_id=? AND name=?" in line for line in remote_steps), lines
    assert not any(line.startswith("SCAN") for line in lines), lines


def test_iter_latest_skips_hidden_names(journal: Journal, clock: FakeClock) -> None:
    """iter_latest lists what b2_list_file_names would: newest visible version per name."""
    walk_all(journal, [[
        version("a", "a2", action="hide", at=START_MS + 1), version("a", "a1"),
        version("b", "b2", at=START_MS + 1), version("b", "b1"), version("c", "c1"),
    ]], clock.now_ms())  # fmt: skip
    assert [v.file_id for v in journal.remote.iter_latest(FOLDER, "prefix/")] == ["b2", "c1"]
    assert [v.file_id for v in journal.remote.iter_latest(FOLDER, "prefix/c")] == ["c1"]


def test_iter_versions_pages_through_many(journal: Journal, clock: FakeClock) -> None:
    """More versions than one page come back complete and in order."""
    many = [version(f"n{i:05d}", f"id{i}") for i in range(2_345)]
    walk_all(journal, [many[:1000], many[1000:2000], many[2000:]], clock.now_ms())
    assert [v.file_id for v in journal.remote.iter_versions(FOLDER)] == [v.file_id for v in many]


def test_conflicts_are_kept_once(journal: Journal, entry: Entry, change: Change) -> None:
    """A conflict is recorded with its completion and known afterwards; listed newest first."""
    journal.record([change("a")], settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    [job] = journal.claim(worker="w", limit=1, lease_ms=1000)
    record = ConflictRecord(
        folder=FOLDER, rel_path=RelPath("a"), remote_file_id="theirs",
        kind=ConflictKind.CONFLICT, resolution="kept both",
        kept_as=B2Name("prefix/a (conflict h 2026-12-01)"), detected_ms=7,
    )  # fmt: skip
    journal.complete(job, index=None, written=Written(conflict=record))
    assert journal.ledger.conflict_known(FOLDER, "a", "theirs")
    assert not journal.ledger.conflict_known(FOLDER, "a", "other")
    assert journal.ledger.conflicts(FOLDER) == [record]


def test_call_counts_add_up_per_day(journal: Journal) -> None:
    """B2 calls add up per UTC day and class."""
    journal.ledger.add_calls("2026-12-01", {"A": 3, "C": 1})
    journal.ledger.add_calls("2026-12-01", {"C": 2, "B": 0})
    journal.ledger.add_calls("2026-12-02", {"A": 1})
    today = journal.ledger.calls("2026-12-01")
    assert (today.of("A"), today.of("B"), today.of("C")) == (3, 0, 3)
    assert journal.ledger.calls("2026-12-02").of("A") == 1
