"""Another writer on syncd's B2 names, met by the reconcile walk of `sync-now --reconcile`:
remote updates, conflicts under each policy, hides and deletes by someone else."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from b2sdk.v2 import B2Api, InMemoryAccountInfo

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.folder import KEY, KEY_ID
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration
NAME = "host1/doc.txt"
MTIME_NS = 1_700_000_000_000_000_000


@pytest.fixture
def other(emulator: EmulatorServer, setup: Setup) -> Any:
    """The bucket as another client (b2sdk) sees it."""
    api = B2Api(InMemoryAccountInfo())
    api.authorize_account(emulator.base_url, KEY_ID, KEY)
    return api.get_bucket_by_name(setup.bucket)


def first_sync(setup: Setup, conflict: str = "keep-both") -> Path:
    """Configure the policy, write doc.txt and sync it once."""
    write_config(setup, sync=f'conflict = "{conflict}"')
    doc = setup.root / "doc.txt"
    doc.write_bytes(b"syncd's version\n")
    os.utime(doc, ns=(MTIME_NS, MTIME_NS))
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    return doc


def foreign_upload(other: Any, data: bytes, mtime_ms: int) -> str:
    """Another client uploads a newer version of doc.txt; its file id."""
    info = {"src_last_modified_millis": str(mtime_ms)}
    return str(other.upload_bytes(data, NAME, file_infos=info).id_)


def newest(view: BucketView, setup: Setup, name: str = NAME) -> Any:
    """B2's newest version of ``name`` (hide markers included)."""
    return next(v for v in view.versions(setup.bucket, name) if v.name == name)


def bytes_in(emulator: EmulatorServer) -> int:
    """Bytes the emulator has received in upload bodies so far."""
    return int(emulator.stats()["bytesIn"])


def conflict_names(view: BucketView, setup: Setup) -> list[str]:
    """Visible names that are conflict copies."""
    return sorted(n for n in view.latest(setup.bucket, setup.prefix) if "(conflict " in n)


def test_remote_update_is_recorded_and_left_alone(
    setup: Setup, view: BucketView, other: Any, emulator: EmulatorServer
) -> None:
    """keep-both: a newer foreign version of an unchanged file stays newest; nothing is sent."""
    doc = first_sync(setup)
    foreign = foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    sent = bytes_in(emulator)
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert summary["conflicts"] == 1
    assert newest(view, setup).file_id == foreign
    assert doc.read_bytes() == b"syncd's version\n"
    assert bytes_in(emulator) == sent
    code, summary, _ = sync_now(setup, "--reconcile")  # met once: not again
    assert (code, summary["conflicts"]) == (0, 0)


def test_local_wins_copies_syncd_version_on_top(
    setup: Setup, view: BucketView, other: Any, emulator: EmulatorServer
) -> None:
    """local-wins: syncd's version becomes newest again by a server-side copy (0 bytes)."""
    first_sync(setup, "local-wins")
    foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    sent = bytes_in(emulator)
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["conflicts"], summary["copied_files"], summary["uploaded_files"]) == (1, 1, 0)
    top = newest(view, setup)
    assert top.sha1 == hashlib.sha1(b"syncd's version\n").hexdigest()
    assert top.mtime_ms == MTIME_NS // 1_000_000
    assert bytes_in(emulator) == sent
    assert len([v for v in view.versions(setup.bucket, NAME) if v.name == NAME]) == 3


def test_remote_wins_downloads_the_newer_version(
    setup: Setup, view: BucketView, other: Any
) -> None:
    """remote-wins: the foreign version lands in the folder with its mtime; nothing re-sent."""
    doc = first_sync(setup, "remote-wins")
    foreign_upload(other, b"theirs, newer\n", 1_700_000_100_000)
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["conflicts"], summary["downloaded_files"]) == (1, 1)
    assert doc.read_bytes() == b"theirs, newer\n"
    assert doc.stat().st_mtime_ns == 1_700_000_100_000 * 1_000_000
    code, summary, err = sync_now(setup)
    assert (code, summary["uploaded_files"], summary["copied_files"]) == (0, 0, 0), err


def test_conflict_keep_both_uploads_local_under_a_conflict_name(
    setup: Setup, view: BucketView, other: Any
) -> None:
    """Both changed: the local bytes go to a conflict name; B2's name keeps the other version."""
    doc = first_sync(setup)
    foreign = foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    doc.write_bytes(b"mine, edited\n")
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert summary["conflicts"] == 1
    assert newest(view, setup).file_id == foreign
    [copy] = conflict_names(view, setup)
    assert copy.startswith("host1/doc (conflict ")
    assert copy.endswith(").txt")
    assert newest(view, setup, copy).sha1 == hashlib.sha1(b"mine, edited\n").hexdigest()
    assert doc.read_bytes() == b"mine, edited\n"
    code, summary, err = sync_now(setup, "--reconcile")
    assert (code, summary["uploaded_files"], summary["conflicts"]) == (0, 0, 0), err


def test_conflict_local_wins_uploads_local_as_newest(
    setup: Setup, view: BucketView, other: Any
) -> None:
    """local-wins and both changed: the local edit is uploaded as the newest version."""
    doc = first_sync(setup, "local-wins")
    foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    doc.write_bytes(b"mine, edited\n")
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["conflicts"], summary["uploaded_files"]) == (1, 1)
    assert newest(view, setup).sha1 == hashlib.sha1(b"mine, edited\n").hexdigest()
    assert conflict_names(view, setup) == []


def test_conflict_remote_wins_saves_local_then_downloads(
    setup: Setup, view: BucketView, other: Any
) -> None:
    """remote-wins and both changed: the local edit is kept under a conflict name first."""
    doc = first_sync(setup, "remote-wins")
    foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    doc.write_bytes(b"mine, edited\n")
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["conflicts"], summary["downloaded_files"]) == (1, 1)
    assert doc.read_bytes() == b"theirs\n"
    [copy] = conflict_names(view, setup)
    assert newest(view, setup, copy).sha1 == hashlib.sha1(b"mine, edited\n").hexdigest()


def test_same_bytes_on_both_sides_are_adopted(setup: Setup, view: BucketView, other: Any) -> None:
    """Another writer uploaded exactly the local edit: adopted, nothing sent, no conflict."""
    doc = first_sync(setup)
    foreign = foreign_upload(other, b"same edit\n", 1_700_000_100_000)
    doc.write_bytes(b"same edit\n")
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["conflicts"], summary["uploaded_files"], summary["adopted_files"]) == (0, 0, 1)
    assert newest(view, setup).file_id == foreign


def test_hidden_by_someone_is_visible_again_with_no_bytes_sent(
    setup: Setup, view: BucketView, other: Any, emulator: EmulatorServer
) -> None:
    """Someone hides a file syncd uploaded: a server-side copy makes it visible again."""
    first_sync(setup)
    other.hide_file(NAME)
    assert NAME not in view.latest(setup.bucket, setup.prefix)
    sent = bytes_in(emulator)
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert (summary["copied_files"], summary["uploaded_files"]) == (1, 0)
    assert NAME in view.latest(setup.bucket, setup.prefix)
    assert newest(view, setup).mtime_ms == MTIME_NS // 1_000_000
    assert bytes_in(emulator) == sent


def test_deleted_by_someone_is_uploaded_again(setup: Setup, view: BucketView, other: Any) -> None:
    """Every version deleted by someone else: the file is uploaded again."""
    first_sync(setup)
    for version in other.list_file_versions(NAME):
        other.delete_file_version(version.id_, version.file_name)
    code, summary, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    assert summary["uploaded_files"] == 1
    assert newest(view, setup).sha1 == hashlib.sha1(b"syncd's version\n").hexdigest()


def test_a_fresh_remote_index_is_not_listed_again(setup: Setup, emulator: EmulatorServer) -> None:
    """Without --reconcile a second sync-now within the interval makes no listing call."""
    first_sync(setup)
    before = emulator.stats()["calls"].get("b2_list_file_versions", 0)
    code, _, err = sync_now(setup)
    assert code == 0, err
    assert emulator.stats()["calls"].get("b2_list_file_versions", 0) == before


def test_status_shows_conflicts_and_todays_calls(setup: Setup, other: Any) -> None:
    """status --json lists the conflict met and today's B2 calls by class."""
    doc = first_sync(setup)
    foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    doc.write_bytes(b"mine, edited\n")
    code, _, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "status", "--config", str(setup.config), "--json"],
        capture_output=True,
        text=True,
        env=setup.env(),
        check=False,
    )
    status = json.loads(proc.stdout)
    [folder] = status["folders"]
    [conflict] = folder["conflicts"]
    assert (conflict["path"], conflict["kind"]) == ("doc.txt", "conflict")
    assert conflict["kept_as"].startswith("host1/doc (conflict ")
    assert folder["remote_index"]["last_listed_ms"] is not None
    today = status["b2_calls"]["today"]
    assert today["A"] >= 4  # two uploads: get_upload_url + upload_file each
    assert today["C"] >= 3  # authorize, list buckets, the listing walks


def test_ls_cached_lists_from_the_journal_with_no_b2_call(
    setup: Setup, other: Any, emulator: EmulatorServer
) -> None:
    """ls --cached shows what the last walk saw (another writer's version too), calling nothing."""
    first_sync(setup)
    foreign = foreign_upload(other, b"theirs\n", 1_700_000_100_000)
    code, _, err = sync_now(setup, "--reconcile")
    assert code == 0, err
    before = emulator.stats()["total"]
    cmd = [sys.executable, "-m", "syncd", "ls", "--config", str(setup.config), "--cached"]
    proc = subprocess.run(
        [*cmd, "--versions", "--json", "folder"], capture_output=True, text=True,
        env={k: v for k, v in setup.env().items() if k != "SYNCD_TEST_APPLICATION_KEY"},
        check=False,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    files = json.loads(proc.stdout)["files"]
    assert files[0]["file_id"] == foreign
    assert len(files) == 2
    assert emulator.stats()["total"] == before
