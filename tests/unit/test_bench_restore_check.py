"""The bench's check of a restored tree against its source (bench/mirror.py)."""

from __future__ import annotations

import shutil
from pathlib import Path

from bench.mirror import check_restored
from bench.trees import KIB, LocalFile, TreeSpec, generate, manifest

SPEC = TreeSpec("tiny", 6, 1 * KIB, 2 * KIB, 2)


def _copy(source: Path, target: Path, *, keep_mtime: bool) -> None:
    for path in source.rglob("*.bin"):
        dest = target / path.relative_to(source)
        dest.parent.mkdir(parents=True, exist_ok=True)
        (shutil.copy2 if keep_mtime else shutil.copy)(path, dest)


def test_a_copy_with_its_mtimes_passes(tmp_path: Path) -> None:
    """A restored tree with the source's paths, bytes and mtimes has no problem and no note."""
    generate(SPEC, tmp_path / "src", seed=1)
    _copy(tmp_path / "src", tmp_path / "out", keep_mtime=True)
    source, restored = manifest(tmp_path / "src"), manifest(tmp_path / "out")
    assert check_restored(source, restored, strict=True) == ([], [])


def test_mtimes_not_set_fail_syncd_and_are_a_note_for_a_peer(tmp_path: Path) -> None:
    """Files restored without their mtime: a problem for syncd, a printed note for a peer."""
    generate(SPEC, tmp_path / "src", seed=1)
    _copy(tmp_path / "src", tmp_path / "out", keep_mtime=False)
    source, restored = manifest(tmp_path / "src"), manifest(tmp_path / "out")
    problems, notes = check_restored(source, restored, strict=True)
    assert len(problems) == 1
    assert problems[0].startswith("6 restored with another mtime")
    assert notes == []
    problems, notes = check_restored(source, restored, strict=False)
    assert problems == []
    assert notes[0].startswith("6 restored with another mtime")


def test_wrong_bytes_missing_and_extra_files_fail_every_tool() -> None:
    """A wrong sha1 or size, a missing and an extra path are problems even for a peer."""
    source = {
        "a": LocalFile(3, "aaa", 1000),
        "b": LocalFile(3, "bbb", 1000),
        "c": LocalFile(3, "ccc", 1000),
    }
    restored = {
        "a": LocalFile(3, "zzz", 1000),
        "b": LocalFile(4, "bbb", 1000),
        "d": LocalFile(3, "ddd", 1000),
    }
    problems, notes = check_restored(source, restored, strict=False)
    assert problems == ["1 missing: c", "1 extra: d", "1 wrong size: b", "1 wrong sha1: a"]
    assert notes == []
