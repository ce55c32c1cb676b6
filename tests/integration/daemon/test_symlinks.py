"""The symlink policy of a folder, end to end: sync-now against the emulator."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from tests.support.bucket_view import BucketView
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration


def make_links(root: Path, outside: Path) -> None:
    """Two plain files, links inside (file and dir), a link out, a dangling link, a loop."""
    (root / "d").mkdir()
    (root / "d" / "in-dir.txt").write_text("in dir\n")
    (root / "f.txt").write_text("f\n")
    outside.mkdir()
    (outside / "secret.txt").write_text("outside\n")
    os.symlink("f.txt", root / "link-f.txt")
    os.symlink("d", root / "link-d")
    os.symlink(outside / "secret.txt", root / "link-out.txt")
    os.symlink(outside, root / "link-outdir")
    os.symlink("nowhere", root / "dangling")
    os.symlink("..", root / "d" / "loop")


def on_b2(view: BucketView, setup: Setup) -> dict[str, str]:
    """rel_path -> sha1 of every visible file under the prefix."""
    latest = view.latest(setup.bucket, setup.prefix)
    return {name[len(setup.prefix) :]: str(v.sha1) for name, v in latest.items()}


def sha1(text: str) -> str:
    """The sha1 of a text's UTF-8 bytes."""
    return hashlib.sha1(text.encode()).hexdigest()


INSIDE = {
    "f.txt": sha1("f\n"),
    "d/in-dir.txt": sha1("in dir\n"),
    "link-f.txt": sha1("f\n"),
    "link-d/in-dir.txt": sha1("in dir\n"),
}


def test_follow_true_syncs_inside_links_and_reports_the_rest_once(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """follow_symlinks = true: links inside are synced; outside, dangling and loop reported."""
    make_links(setup.root, tmp_path / "outside")
    write_config(setup, folder="follow_symlinks = true")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert on_b2(view, setup) == INSIDE
    assert summary["uploaded_files"] == 4
    reasons = {i["path"]: i["reason"] for i in summary["skipped"]}
    assert len(summary["skipped"]) == len(reasons)  # each once
    assert reasons == {
        "link-out.txt": "symbolic link to a place outside the folder",
        "link-outdir": "symbolic link to a place outside the folder",
        "dangling": "symbolic link that is broken or loops",
        "d/loop": "directory loop (the same directory is above it)",
        "link-d/loop": "directory loop (the same directory is above it)",
    }
    code, summary, err = sync_now(setup)
    assert (code, summary["uploaded_files"], summary["failed"]) == (0, 0, []), err


def test_follow_all_also_syncs_links_outside(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """follow_symlinks = "all": links out of the folder are synced too; loops still stop."""
    make_links(setup.root, tmp_path / "outside")
    write_config(setup, folder='follow_symlinks = "all"')
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert on_b2(view, setup) == {
        **INSIDE,
        "link-out.txt": sha1("outside\n"),
        "link-outdir/secret.txt": sha1("outside\n"),
    }
    assert sorted(i["path"] for i in summary["skipped"]) == ["d/loop", "dangling", "link-d/loop"]


def test_follow_false_skips_every_link(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """follow_symlinks = false (the default): only real files sync, each link reported."""
    make_links(setup.root, tmp_path / "outside")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert on_b2(view, setup) == {"f.txt": sha1("f\n"), "d/in-dir.txt": sha1("in dir\n")}
    assert sorted(i["path"] for i in summary["skipped"]) == [
        "d/loop",
        "dangling",
        "link-d",
        "link-f.txt",
        "link-out.txt",
        "link-outdir",
    ]
