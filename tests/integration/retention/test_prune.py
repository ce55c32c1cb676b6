"""``syncd prune`` against the emulator, whose clock the tests move by days."""

from __future__ import annotations

from contextlib import closing

import pytest

from syncd.app.build import build
from syncd.app.prune import prune_app_folders, run_prune
from syncd.emulator import EmulatorServer
from syncd.journal.peek import JournalPeek
from syncd.journal.peek_history import HistoryQuery
from tests.integration.restore.conftest import syncd
from tests.integration.retention.conftest import (
    advance,
    raw_hide,
    raw_upload,
    with_retention,
)
from tests.support.bucket_view import BucketView
from tests.support.fake_clock import FakeClock
from tests.support.harness import Setup

pytestmark = pytest.mark.integration


def history(setup: Setup, view: BucketView, emulator: EmulatorServer) -> dict[str, str]:
    """Three names over 90 emulated days; returns label -> fileId.

    a.txt (local): v1 at day 0, v2 at day 40, v3 at day 80.
    gone.txt (not local): uploaded day 0, hidden day 40.
    kept.txt (local): old at day 0, new at day 30, hidden by someone else at day 40.
    """
    p = setup.prefix
    ids = {
        "a1": raw_upload(view, p + "a.txt", b"a1"),
        "gone": raw_upload(view, p + "gone.txt", b"gone"),
        "kept_old": raw_upload(view, p + "kept.txt", b"old"),
    }
    with closing(advance(emulator, 30)) as day30:
        ids["kept_new"] = raw_upload(day30, p + "kept.txt", b"new")
    with closing(advance(emulator, 10)) as day40:
        ids["a2"] = raw_upload(day40, p + "a.txt", b"a2")
        raw_hide(day40, p + "gone.txt")
        raw_hide(day40, p + "kept.txt")
    with closing(advance(emulator, 40)) as day80:
        ids["a3"] = raw_upload(day80, p + "a.txt", b"a3")
    advance(emulator, 10).close()
    (setup.root / "a.txt").write_bytes(b"a3")
    (setup.root / "kept.txt").write_bytes(b"new")
    return ids


def listing(emulator: EmulatorServer, setup: Setup) -> list[tuple[str, str, str]]:
    """(name, action, fileId) of every version under the prefix, read by a reader
    authorized now (the emulator clock moved past older tokens)."""
    with closing(advance(emulator, 0)) as view:
        return [(v.name, v.action, v.file_id) for v in view.versions(setup.bucket, setup.prefix)]


def deletes(emulator: EmulatorServer) -> int:
    """How many b2_delete_file_version calls the emulator served."""
    return int(emulator.stats()["calls"].get("b2_delete_file_version", 0))


def test_prune_keeps_what_rules_and_local_files_need(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """Old versions go, local files' newest stay, and a dry run changes nothing."""
    ids = history(setup, view, emulator)
    config = with_retention(setup, "keep_days = 30\nmax_delete_share = 0.9\n")
    clock = FakeClock(emulator.now_ms())
    before = listing(emulator, setup)

    [dry] = run_prune(config, dry_run=True, clock=clock)
    assert listing(emulator, setup) == before
    assert deletes(emulator) == 0
    planned = {v.file_id for v in dry.plan.deletes}
    assert planned == {ids["a1"], ids["gone"], ids["kept_old"]} | {
        fid for name, action, fid in before if name.endswith("gone.txt") and action == "hide"
    }

    [done] = run_prune(config, clock=clock)
    assert done.deleted == len(planned)
    assert not done.failed
    assert deletes(emulator) == len(planned)
    left = listing(emulator, setup)
    names = {(name.removeprefix(setup.prefix), action) for name, action, _fid in left}
    assert names == {("a.txt", "upload"), ("kept.txt", "hide"), ("kept.txt", "upload")}
    assert {fid for _n, _a, fid in left} >= {ids["a2"], ids["a3"], ids["kept_new"]}
    reasons = {d.version.file_id: d.explain() for d in done.plan.decisions}
    assert reasons[ids["a3"]] == "visible, newest_of_local_file, keep_days"
    assert reasons[ids["kept_new"]] == "newest_of_local_file"
    assert reasons[ids["a1"]] == "outside_every_rule"


def test_share_guard_refuses_until_approved(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """A prune past max_delete_share deletes nothing; --approve lets it through."""
    history(setup, view, emulator)
    config = with_retention(setup, "keep_versions = 1\nmax_delete_share = 0.2\n")
    clock = FakeClock(emulator.now_ms())
    before = listing(emulator, setup)
    [refused] = run_prune(config, clock=clock)
    assert refused.refused is not None
    assert "max_delete_share" in refused.refused
    assert listing(emulator, setup) == before
    assert deletes(emulator) == 0
    [approved] = run_prune(config, clock=clock, approve=True)
    assert approved.refused is None
    assert approved.deleted == len(approved.plan.deletes) > 0
    assert len(listing(emulator, setup)) == len(before) - approved.deleted


def test_cli_dry_run_json_and_refusal_exit_code(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """`syncd prune --dry-run --json` explains each version; a refusal exits 3."""
    history(setup, view, emulator)
    with_retention(setup, "keep_versions = 1\nmax_delete_share = 0.2\n")
    dry = syncd(setup, "prune", "--dry-run")
    assert dry.code == 0, dry.err
    [folder] = dry.doc["folders"]
    assert folder["dry_run"]
    assert folder["planned_deletes"] == 3
    assert folder["over_max_delete_share"]
    rows = {(r["name"], r["file_id"]): r for r in folder["versions"]}
    assert all(r["reasons"] for r in rows.values())
    assert deletes(emulator) == 0
    refused = syncd(setup, "prune")
    assert refused.code == 3, refused.err
    assert "max_delete_share" in refused.doc["folders"][0]["refused"]


def test_daemon_prune_uses_the_app_and_pauses_past_the_share(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """The daemon's scheduled prune deletes within the share and pauses past it."""
    ids = history(setup, view, emulator)
    config = with_retention(setup, "keep_days = 30\nmax_delete_share = 0.9\n")
    app = build(config, clock=FakeClock(emulator.now_ms()))
    try:
        app.start()
        [outcome] = prune_app_folders(app)
        assert outcome.deleted == 4
        assert not app.report.paused
    finally:
        app.close()
    with JournalPeek(setup.state / "journal.sqlite3") as peek:  # the history keeps each delete
        kept = peek.history(HistoryQuery(folder="folder"))
    assert sorted(r.file_id or "" for r in kept if r.action == "delete") == sorted(
        v.file_id for v in outcome.deleted_versions
    )
    assert {r.detail.split(" (")[0] for r in kept if r.action == "delete"} == {"prune: retention"}
    assert ids["a1"] not in {fid for _n, _a, fid in listing(emulator, setup)}
    strict = with_retention(setup, "keep_versions = 1\nmax_delete_share = 0.01\n")
    app = build(strict, clock=FakeClock(emulator.now_ms()))
    try:
        app.start()
        [refused] = prune_app_folders(app)
        assert refused.deleted == 0
        assert app.report.paused == [refused.refused]
    finally:
        app.close()


def test_key_without_delete_files_can_only_dry_run(
    setup: Setup, view: BucketView, emulator: EmulatorServer
) -> None:
    """A key without deleteFiles may list (--dry-run) but a real prune exits 77."""
    key = view.call(
        "b2_create_key",
        {
            "accountId": view.account_id,
            "keyName": "no-delete",
            "capabilities": ["listBuckets", "listFiles", "readFiles", "writeFiles"],
        },
    )
    raw_upload(view, setup.prefix + "a.txt", b"1")
    raw_upload(view, setup.prefix + "a.txt", b"2")
    setup.key_id, setup.key = key["applicationKeyId"], key["applicationKey"]
    with_retention(setup, "keep_versions = 1\nmax_delete_share = 1.0\n")
    assert syncd(setup, "prune", "--dry-run").code == 0
    refused = syncd(setup, "prune")
    assert refused.code == 77
    assert "deleteFiles" in refused.err
    assert deletes(emulator) == 0
