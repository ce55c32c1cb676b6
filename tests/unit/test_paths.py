"""Mapping between local relative paths and B2 names, and what B2 cannot hold."""

from __future__ import annotations

import os

import pytest

from syncd.domain import RelPath
from syncd.errors import LocalAccessError
from syncd.paths import MAX_NAME_BYTES, name_problem, to_b2_name, to_rel_path

SURROGATE = os.fsdecode(b"caf\xe9.txt")  # a Latin-1 name on a UTF-8 system


@pytest.mark.parametrize(
    "name",
    [
        "a.txt",
        "dir/sub/file",
        "spaces and ümlauts é 中文 \U0001f600",
        "x" * MAX_NAME_BYTES,
        "é" * (MAX_NAME_BYTES // 2),  # 2 bytes each: exactly the limit
        "tab-free ~!@#$%^&*()[]{}",
    ],
    ids=["plain", "nested", "unicode", "max-ascii", "max-2-byte", "punctuation"],
)
def test_names_b2_can_hold(name: str) -> None:
    """Valid UTF-8 without control characters, up to 1024 bytes, has no problem."""
    assert name_problem(name) is None


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (SURROGATE, "not valid UTF-8"),
        ("x" * (MAX_NAME_BYTES + 1), "1025 bytes of UTF-8"),
        ("é" * (MAX_NAME_BYTES // 2) + "x", "1025 bytes of UTF-8"),
        ("a\x00b", "control character U+0000"),
        ("a\nb", "control character U+000A"),
        ("a\tb", "control character U+0009"),
        ("\x1f", "control character U+001F"),
        ("a\x7fb", "control character U+007F"),
    ],
    ids=["surrogate", "too-long", "too-long-multibyte", "nul", "newline", "tab", "us", "del"],
)
def test_names_b2_cannot_hold(name: str, problem: str) -> None:
    """Surrogate escapes, more than 1024 UTF-8 bytes and control characters are named."""
    found = name_problem(name)
    assert found is not None
    assert problem in found


def test_to_b2_name_prepends_the_prefix() -> None:
    """The B2 name is prefix + rel_path, unnormalised (NFD stays NFD)."""
    nfd = "e\u0301.txt"
    assert to_b2_name("host1/", RelPath(nfd)) == "host1/" + nfd
    assert to_b2_name("", RelPath("a/b")) == "a/b"


@pytest.mark.parametrize("rel_path", [SURROGATE, "bad\x01name", "x" * 1020])
def test_to_b2_name_refuses_with_the_path(rel_path: str) -> None:
    """A name B2 cannot hold (the prefix counted in its length) raises LocalAccessError."""
    with pytest.raises(LocalAccessError) as caught:
        to_b2_name("prefix/", RelPath(rel_path))
    assert caught.value.rel_path == rel_path


@pytest.mark.parametrize(
    ("prefix", "b2_name", "rel_path"),
    [
        ("host1/", "host1/a.txt", "a.txt"),
        ("host1/", "host1/d/e/f", "d/e/f"),
        ("", "a/b", "a/b"),
        ("host1/", "host1/..x", "..x"),
        ("host1/", "host1/x..", "x.."),
        ("host1/", "host1/.hidden", ".hidden"),
    ],
)
def test_to_rel_path(prefix: str, b2_name: str, rel_path: str) -> None:
    """A name under the prefix maps to the rest of the name."""
    assert to_rel_path(prefix, b2_name) == rel_path


@pytest.mark.parametrize(
    ("prefix", "b2_name"),
    [
        ("host1/", "host2/a.txt"),  # another prefix
        ("host1/", "host1"),  # the prefix without its slash
        ("host1/", "host1/"),  # the prefix itself: empty
        ("host1/", "host1/../etc/passwd"),
        ("host1/", "host1/a/../../b"),
        ("host1/", "host1/.."),
        ("host1/", "host1/./a"),
        ("host1/", "host1/a/."),
        ("host1/", "host1//a"),  # absolute after the prefix
        ("", "/etc/passwd"),
        ("host1/", "host1/a//b"),  # empty segment
        ("host1/", "host1/a/"),  # trailing slash (a folder marker)
        ("host1/", "host1/a\x00b"),
    ],
    ids=[
        "other-prefix",
        "prefix-without-slash",
        "empty",
        "dotdot-escape",
        "dotdot-inside",
        "dotdot-only",
        "dot-segment",
        "dot-last",
        "absolute",
        "absolute-no-prefix",
        "empty-segment",
        "trailing-slash",
        "nul",
    ],
)
def test_to_rel_path_refuses(prefix: str, b2_name: str) -> None:
    """Names outside the prefix, or that could escape or alias inside the folder, map to None."""
    assert to_rel_path(prefix, b2_name) is None


@pytest.mark.parametrize("rel_path", ["a.txt", "d/e/f", "é/中/\U0001f600", "..x"])
def test_round_trip(rel_path: str) -> None:
    """to_rel_path undoes to_b2_name."""
    assert to_rel_path("p/", to_b2_name("p/", RelPath(rel_path))) == rel_path
