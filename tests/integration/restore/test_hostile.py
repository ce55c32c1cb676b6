"""Hostile remote names: refused and reported, nothing written outside the target."""

from __future__ import annotations

import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.integration.restore.conftest import raw_upload, syncd, tree
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup

pytestmark = pytest.mark.integration

HOSTILE = [
    "host1/../escaped.txt",
    "host1//etc/absolute.txt",
    "host1/a/../../up.txt",
    "host1/back\\slash.txt",
    "host1/\uff0e\uff0e/fullwidth.txt",
    "host1/./dot.txt",
]


def snapshot(root: Path) -> dict[str, tuple[str, int, int]]:
    """Every entry below ``root`` with its type, size and mtime (symlinks not followed)."""
    out: dict[str, tuple[str, int, int]] = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = Path(dirpath) / name
            st = p.lstat()
            kind = "link" if p.is_symlink() else "dir" if p.is_dir() else "file"
            out[str(p.relative_to(root))] = (kind, st.st_size, st.st_mtime_ns)
    return out


def test_hostile_names_refused_rest_restored(
    setup: Setup, view: BucketView, tmp_path: Path
) -> None:
    """Traversal names and a symlink planted in the target are refused; 0 writes outside."""
    for name in HOSTILE:
        raw_upload(view, name, b"evil\n")
    raw_upload(view, "host1/good/fine.txt", b"fine\n", mtime_ms=1_600_000_000_000)
    raw_upload(view, "host1/link/pwned.txt", b"through the link\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "canary").write_text("canary\n")
    target = tmp_path / "restore" / "out"
    (target / "folder").mkdir(parents=True)
    os.symlink(outside, target / "folder" / "link")
    before = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("restore")}

    res = syncd(setup, "restore", "folder", "--to", str(target))

    assert res.code == 1, res.err
    refused = {r["path"] for r in res.doc["refused"]}
    assert refused == {
        "folder/../escaped.txt",
        "folder//etc/absolute.txt",
        "folder/a/../../up.txt",
        "folder/back\\slash.txt",
        "folder/\uff0e\uff0e/fullwidth.txt",
        "folder/./dot.txt",
        "folder/link/pwned.txt",
    }
    assert tree(target) == {"folder/good/fine.txt": (b"fine\n", 1_600_000_000_000_000_000)}
    after = {k: v for k, v in snapshot(tmp_path).items() if not k.startswith("restore")}
    assert after == before, "something was written outside the target"
    assert os.listdir(outside) == ["canary"]
    assert sorted(os.listdir(target / "folder")) == ["good", "link"]


def test_to_that_is_a_symlink_is_refused(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """--to naming a symlink is a usage error (exit 2); nothing lands where it points."""
    raw_upload(view, "host1/a.txt", b"a\n")
    outside = tmp_path / "outside"
    outside.mkdir()
    os.symlink(outside, tmp_path / "to")
    res = syncd(setup, "restore", "folder", "--to", str(tmp_path / "to"))
    assert res.code == 2, res.err
    assert "symlink" in res.err
    assert os.listdir(outside) == []


def test_planted_default_target_is_refused(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """A symlink planted at the predictable default target name is refused, not followed."""
    raw_upload(view, "host1/a.txt", b"a\n")
    work = tmp_path / "cwd"
    work.mkdir()
    outside = tmp_path / "outside"
    outside.mkdir()
    start = datetime.now(UTC)
    for s in range(60):
        name = f"syncd-restore-{start + timedelta(seconds=s):%Y%m%dT%H%M%SZ}"
        os.symlink(outside, work / name)
    res = syncd(setup, "restore", "folder", cwd=work)
    assert res.code == 2, res.err
    assert "already exists" in res.err
    assert os.listdir(outside) == []


def test_to_below_a_file_is_one_line(setup: Setup, view: BucketView, tmp_path: Path) -> None:
    """--to below a regular file fails cleanly (exit 1, the reason listed), no traceback."""
    raw_upload(view, "host1/a.txt", b"a\n")
    (tmp_path / "afile").write_text("x")
    res = syncd(setup, "restore", "folder", "--to", str(tmp_path / "afile" / "sub"))
    assert res.code == 1, res.err
    assert "Traceback" not in res.err
    assert [f["path"] for f in res.doc["failed"]] == ["folder"]
