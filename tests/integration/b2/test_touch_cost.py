"""A touch (mtime changed, bytes not) costs one class C ``b2_copy_file`` and no
``b2_get_file_info``: the copy's source comes from the journal's remote index. Against
the emulator over HTTP, with its per-call counters as the oracle."""

from __future__ import annotations

import os
import random
import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest

from syncd.app.build import build
from syncd.config import load_config
from syncd.emulator import EmulatorServer
from syncd.engine import RunReport
from tests.support.bucket_view import BucketView
from tests.support.harness import KEY_ENV, Setup, write_config

pytestmark = pytest.mark.integration

SMALL = 5
LARGE_BYTES = 600 * 1024  # over the emulator's 2 x 256 KiB: a multi-part upload


def make_tree(root: Path) -> list[Path]:
    """SMALL small files of two content types and one large file; their paths."""
    paths = []
    for i in range(SMALL):
        path = root / ("notes" if i % 2 else "pages") / f"f{i}.{'txt' if i % 2 else 'html'}"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(b"<p>%d</p>\n" % i * (i + 1))
        paths.append(path)
    big = root / "big.bin"
    big.write_bytes(random.Random(3).randbytes(LARGE_BYTES))
    return [*paths, big]


def touch(paths: list[Path], seconds: int) -> None:
    """Move each file's mtime forward, leaving its bytes alone."""
    for path in paths:
        st = path.stat()
        os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + seconds * 1_000_000_000))


def file_info(view: BucketView, file_id: str) -> dict[str, Any]:
    """B2's own description of one version (b2_get_file_info, through the view)."""
    return dict(view.call("b2_get_file_info", {"fileId": file_id}))


def newest(view: BucketView, setup: Setup) -> dict[str, Any]:
    """The newest version of each name under the folder's prefix, fully described."""
    return {
        name: file_info(view, v.file_id)
        for name, v in view.latest(setup.bucket, setup.prefix).items()
    }


def sha1_of(info: dict[str, Any]) -> str:
    """The version's SHA-1: contentSha1, or large_file_sha1 for a file made of parts."""
    sha1 = info["contentSha1"]
    return str(info["fileInfo"]["large_file_sha1"] if sha1 in (None, "none") else sha1)


def assert_copies_keep_everything(
    before: dict[str, Any], after: dict[str, Any], paths: list[Path]
) -> None:
    """Each new version: a new fileId with the new mtime, the same bytes, content type
    and every other file info key."""
    assert before.keys() == after.keys()
    for name, old in before.items():
        new = after[name]
        path = next(p for p in paths if name.endswith(p.name))
        assert new["fileId"] != old["fileId"]
        assert new["fileInfo"]["src_last_modified_millis"] == str(path.stat().st_mtime_ns // 10**6)
        assert sha1_of(new) == sha1_of(old)
        assert new["contentLength"] == old["contentLength"]
        assert new["contentType"] == old["contentType"]
        rest = {k: v for k, v in new["fileInfo"].items() if k != "src_last_modified_millis"}
        assert rest == {k: v for k, v in old["fileInfo"].items() if k != "src_last_modified_millis"}
    large = [info for name, info in after.items() if name.endswith("big.bin")]
    assert large[0]["fileInfo"]["large_file_sha1"]  # a large file's copy kept its sha1 key


def test_touched_files_cost_one_copy_each_and_no_file_info_in_one_process(
    setup: Setup, emulator: EmulatorServer, view: BucketView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One App (journal open throughout): N touched files make N copy_file, 0 get_file_info."""
    paths = make_tree(setup.root)
    monkeypatch.setenv(KEY_ENV, setup.key)
    app = build(load_config(setup.config), rng=random.Random(1), stop=threading.Event(),
                immediate=True)  # fmt: skip
    try:
        app.start()
        assert app.run_once().uploaded_files == len(paths)
        before = newest(view, setup)
        touch(paths, 60)
        emulator.reset_stats()
        report = app.run_once()
        calls = dict(emulator.stats()["calls"])
    finally:
        app.close()
    assert report.copied_files == len(paths)
    assert calls.get("b2_copy_file") == len(paths)
    assert calls.get("b2_get_file_info", 0) == 0
    assert_copies_keep_everything(before, newest(view, setup), paths)


def sync_once(setup: Setup) -> RunReport:
    """One sync-now run in a fresh App: the journal opened from disk and closed."""
    app = build(load_config(setup.config), rng=random.Random(1), stop=threading.Event(),
                immediate=True)  # fmt: skip
    try:
        app.start()
        return app.run_once()
    finally:
        app.close()


def test_touch_after_a_restart_still_needs_no_file_info(
    setup: Setup, emulator: EmulatorServer, view: BucketView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A new App (the journal reopened from disk) after the upload: still no get_file_info."""
    paths = make_tree(setup.root)
    monkeypatch.setenv(KEY_ENV, setup.key)
    assert sync_once(setup).uploaded_files == len(paths)
    before = newest(view, setup)
    touch(paths, 60)
    emulator.reset_stats()
    report = sync_once(setup)
    calls = dict(emulator.stats()["calls"])
    assert report.copied_files == len(paths)
    assert calls.get("b2_copy_file") == len(paths)
    assert calls.get("b2_get_file_info", 0) == 0
    assert_copies_keep_everything(before, newest(view, setup), paths)


def test_rows_without_copy_facts_fall_back_to_get_file_info(
    setup: Setup, emulator: EmulatorServer, view: BucketView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rows as migrated from v4 (NULL content type): one get_file_info per copy, still right."""
    paths = make_tree(setup.root)
    monkeypatch.setenv(KEY_ENV, setup.key)
    assert sync_once(setup).uploaded_files == len(paths)
    before = newest(view, setup)
    conn = sqlite3.connect(setup.state / "journal.sqlite3")
    try:
        with conn:
            conn.execute("UPDATE remote_versions SET content_type = NULL, file_info = NULL")
    finally:
        conn.close()
    touch(paths, 60)
    emulator.reset_stats()
    assert sync_once(setup).copied_files == len(paths)
    calls = dict(emulator.stats()["calls"])
    assert calls.get("b2_copy_file") == len(paths)
    assert calls.get("b2_get_file_info") == len(paths)
    assert_copies_keep_everything(before, newest(view, setup), paths)


def test_touch_over_s3_copies_without_a_head_of_the_source(
    setup: Setup, emulator: EmulatorServer, view: BucketView, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over the S3 API: one CopyObject per touched file and one HEAD (the copy's read-back)."""
    write_config(
        setup,
        b2=f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'
        "part_size_bytes = 262144\nlarge_file_threshold_bytes = 524288\n",
    )
    paths = make_tree(setup.root)
    monkeypatch.setenv(KEY_ENV, setup.key)
    assert sync_once(setup).uploaded_files == len(paths)
    before = newest(view, setup)
    touch(paths, 60)
    emulator.reset_stats()
    assert sync_once(setup).copied_files == len(paths)
    calls = dict(emulator.stats()["calls"])
    assert calls.get("s3_copy_object") == len(paths)
    assert calls.get("s3_head_object") == len(paths)  # before: two per copy (source too)
    after = newest(view, setup)
    for name, old in before.items():
        assert (after[name]["contentType"], sha1_of(after[name])) == (
            old["contentType"], sha1_of(old),
        )  # fmt: skip
