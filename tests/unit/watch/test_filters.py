"""Exclude patterns, marker names, size cap and the symlink policy, as tables."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from syncd.config import FolderConfig
from syncd.errors import ConfigError
from syncd.watch.filters import Filters, is_inside, symlink_problem

PATTERNS = ("*.tmp", "build/", "/top-only", "**/cache/**", "!keep.tmp")


@pytest.mark.parametrize(
    ("rel_path", "is_dir", "excluded"),
    [
        ("a.tmp", False, True),
        ("x/y/a.tmp", False, True),
        ("keep.tmp", False, False),
        ("x/keep.tmp", False, False),
        ("a.txt", False, False),
        ("build", True, True),
        ("build", False, False),
        ("build/x.o", False, True),
        ("src/build/x.o", False, True),
        ("top-only", False, True),
        ("top-only", True, True),
        ("x/top-only", False, False),
        ("cache/a", False, True),
        ("x/cache/a", False, True),
        ("x/cache", True, True),
        ("caches/a", False, False),
        ("bad\udcff.tmp", False, True),
        ("bad\udcff.txt", False, False),
        ("", True, False),
    ],
)
def test_patterns_follow_gitignore_rules(rel_path: str, is_dir: bool, excluded: bool) -> None:
    """Each path is excluded exactly when git would ignore it."""
    assert Filters(PATTERNS).excluded(rel_path, is_dir=is_dir) is excluded


def test_negation_cannot_reinclude_below_an_excluded_directory() -> None:
    """As in git, `!logs/keep.log` does not bring back a file under excluded `logs/`."""
    filters = Filters(["logs/", "!logs/keep.log"])
    assert filters.excluded("logs/keep.log", is_dir=False)
    assert not filters.matches("logs/keep.log", is_dir=False)


def test_no_patterns_exclude_nothing() -> None:
    """An empty pattern list keeps every path."""
    assert not Filters().excluded("a/b/c.tmp", is_dir=False)


def test_bad_pattern_is_a_config_error() -> None:
    """A pattern pathspec cannot compile is reported as a ConfigError."""
    with pytest.raises(ConfigError, match="invalid exclude pattern"):
        Filters(["ok.tmp", "a\\"])


@pytest.mark.parametrize(
    ("limit", "size", "too_large"),
    [(None, 10**12, False), (100, 100, False), (100, 101, True), (0, 0, False), (0, 1, True)],
)
def test_size_cap(limit: int | None, size: int, too_large: bool) -> None:
    """Files strictly larger than max_size_bytes are too large; None means no cap."""
    assert Filters(max_size_bytes=limit).too_large(size) is too_large


@pytest.mark.parametrize(
    ("marker", "name", "is_marker"),
    [
        (".nobackup", ".nobackup", True),
        (".nobackup", "nobackup", False),
        (None, ".nobackup", False),
    ],
)
def test_marker_name(marker: str | None, name: str, is_marker: bool) -> None:
    """Only the configured exclude_if_present name is the marker."""
    assert Filters(exclude_if_present=marker).is_marker(name) is is_marker


@pytest.mark.parametrize(
    ("root", "target", "inside"),
    [
        ("/r", "/r", True),
        ("/r", "/r/a", True),
        ("/r", "/r2/a", False),
        ("/r", "/", False),
        ("/", "/anything", True),
    ],
)
def test_is_inside(root: str, target: str, inside: bool) -> None:
    """A prefix match needs a separator: /r2 is not inside /r."""
    assert is_inside(root, target) is inside


def test_symlink_policy(tmp_path: Path) -> None:
    """Not followed by default; when following, only links that resolve inside the root."""
    root = tmp_path / "root"
    (root / "d").mkdir(parents=True)
    (root / "f").write_text("x")
    (tmp_path / "outside").write_text("x")
    links = {"in": "f", "dir": "d", "out": "../outside", "dangling": "nope", "loop": "loop"}
    for name, target in links.items():
        os.symlink(target, root / name)
    real = os.path.realpath(root)

    def problem(name: str, *, follow: bool) -> str | None:
        return symlink_problem(real, str(root / name), follow=follow)

    assert problem("in", follow=False) == "symbolic link (not followed)"
    assert problem("in", follow=True) is None
    assert problem("dir", follow=True) is None
    assert problem("out", follow=True) == "symbolic link to a place outside the folder"
    assert problem("dangling", follow=True) == "symbolic link that is broken or loops"
    assert problem("loop", follow=True) == "symbolic link that is broken or loops"


def test_of_folder_adds_extra_patterns(tmp_path: Path) -> None:
    """Filters.of takes the folder's rules and appends extra patterns."""
    folder = FolderConfig(name="n", path=tmp_path, bucket="b", exclude=("*.log",), max_size_bytes=5)
    filters = Filters.of(folder, extra=("/.syncd-folder",))
    assert filters.excluded("x.log", is_dir=False)
    assert filters.excluded(".syncd-folder", is_dir=False)
    assert filters.too_large(6)
    assert filters.exclude_if_present == ".nobackup"
