"""The coverage walk's kept listings: reused while a directory is unchanged, never stale."""

from __future__ import annotations

import os
import time
from pathlib import Path

from syncd.watch.inotify import measure
from syncd.watch.listings import RACY_NS, Listings


def later() -> int:
    """A clock well past the racy window of anything made in the test."""
    return time.time_ns() + 10 * RACY_NS


def identities(root: Path) -> list[tuple[int, int]]:
    """(dev, ino) of the root and of every directory below it."""
    found = []
    for top, _dirs, _files in os.walk(root):
        st = os.stat(top)
        found.append((st.st_dev, st.st_ino))
    return found


def make_tree(root: Path, dirs: int, files: int) -> None:
    """``dirs`` directories of ``files`` files each under ``root``."""
    for d in range(dirs):
        (root / f"d{d}").mkdir()
        for f in range(files):
            (root / f"d{d}" / f"f{f}").write_bytes(b"x")


def test_an_unchanged_tree_is_not_read_again(tmp_path: Path) -> None:
    """The second walk of an unchanged tree reads no directory, and counts the same."""
    make_tree(tmp_path, 5, 20)
    listings = Listings(now_ns=later)
    first = measure(str(tmp_path), identities(tmp_path), listings)
    read = listings.listed
    second = measure(str(tmp_path), identities(tmp_path), listings)
    assert read == 6
    assert listings.listed == read
    assert first == second
    assert (second.watched, second.directories) == (6, 6)


def test_a_new_subdirectory_is_found_through_the_changed_parent(tmp_path: Path) -> None:
    """A directory made after the first walk is counted (unwatched), its parent re-read."""
    make_tree(tmp_path, 3, 2)
    listings = Listings(now_ns=later)
    watched = identities(tmp_path)
    measure(str(tmp_path), watched, listings)
    (tmp_path / "d1" / "new").mkdir()
    cov = measure(str(tmp_path), watched, listings)
    assert (cov.watched, cov.directories, cov.unwatched) == (4, 5, ("d1/new",))
    assert listings.listed == 4 + 2  # the parent and the new directory only


def test_a_listing_taken_right_after_a_change_is_read_again(tmp_path: Path) -> None:
    """A directory that changed within the racy window is listed again on the next walk."""
    make_tree(tmp_path, 2, 1)
    listings = Listings(now_ns=time.time_ns)  # the real clock: everything is fresh
    measure(str(tmp_path), identities(tmp_path), listings)
    measure(str(tmp_path), identities(tmp_path), listings)
    assert listings.listed == 6
    assert len(listings) == 0


def test_removed_directories_are_forgotten(tmp_path: Path) -> None:
    """A directory gone from the tree leaves the kept listings at the next walk."""
    make_tree(tmp_path, 3, 0)
    listings = Listings(now_ns=later)
    measure(str(tmp_path), identities(tmp_path), listings)
    assert len(listings) == 4
    (tmp_path / "d2").rmdir()
    cov = measure(str(tmp_path), identities(tmp_path), listings)
    assert cov.directories == 3
    assert len(listings) == 3


def test_a_directory_replaced_by_a_file_is_not_counted(tmp_path: Path) -> None:
    """A kept subdirectory that became a file is skipped, not listed."""
    make_tree(tmp_path, 2, 0)
    listings = Listings(now_ns=later)
    measure(str(tmp_path), identities(tmp_path), listings)
    (tmp_path / "d0").rmdir()
    (tmp_path / "d0").write_bytes(b"now a file")
    assert measure(str(tmp_path), identities(tmp_path), listings).directories == 2
