"""Which remote names may become local paths on restore."""

from __future__ import annotations

import pytest

from syncd.engine.restore_names import rel_problem, split_rel, under


@pytest.mark.parametrize(
    "rel",
    [
        "",
        "..",
        "../x",
        "a/../../b",
        "a/./b",
        "/etc/passwd",
        "a//b",
        "a/",
        "back\\slash",
        "..\\..\\x",
        "C:/x",
        "nul\x00byte",
        "tab\there",
        "\uff0e\uff0e/x",
        "a/\uff0e/b",
        "a/\ufe52\ufe52/b",
    ],
)
def test_hostile_names_refused(rel: str) -> None:
    """Traversal, absolute, empty segments, backslashes, drives, control chars, full-width dots."""
    assert rel_problem(rel) is not None


@pytest.mark.parametrize("rel", ["a", "a/b/c.txt", "...", "a..b", ".hidden", "ünï/cödé", "a b"])
def test_ordinary_names_pass(rel: str) -> None:
    """Ordinary names, dot files and names containing dots are fine."""
    assert rel_problem(rel) is None


def test_split_rel() -> None:
    """The prefix is stripped; names outside it are refused."""
    assert split_rel("host1/", "host1/a/b") == ("a/b", None)
    assert split_rel("host1/", "host2/a")[1] == "outside the folder's prefix"
    assert split_rel("host1/", "host1/../a")[0] is None


def test_under() -> None:
    """A sub-path covers itself and its descendants only."""
    assert under("a/b", "a")
    assert under("a", "a")
    assert not under("ab", "a")
    assert under("x", "")


def test_reserved_names_refused() -> None:
    """The root marker and staging directories are never written from a remote name."""
    assert rel_problem(".syncd-folder") is not None
    assert rel_problem(".syncd-restore-abc/f") is not None
    assert rel_problem("sub/.syncd-folder") is None
