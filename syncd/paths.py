"""Pure mapping between local relative paths and B2 file names.

Imports ``syncd.errors`` and ``syncd.domain``. Names are not Unicode-normalised:
on Linux an NFC and an NFD spelling are two different files, and normalising would
make them collide on B2 and break the restore round trip.
"""

from __future__ import annotations

import posixpath

from syncd.domain import B2Name, RelPath
from syncd.errors import LocalAccessError

MAX_NAME_BYTES = 1024


def name_problem(b2_name: str) -> str | None:
    """Why ``b2_name`` cannot be a B2 file name, or None when it can."""
    try:
        encoded = b2_name.encode("utf-8")
    except UnicodeEncodeError:
        return "the name is not valid UTF-8"
    if len(encoded) > MAX_NAME_BYTES:
        return f"the name is {len(encoded)} bytes of UTF-8; B2 allows {MAX_NAME_BYTES}"
    for ch in b2_name:
        if ord(ch) < 32 or ord(ch) == 127:
            return f"the name contains the control character U+{ord(ch):04X}"
    return None


def to_b2_name(prefix: str, rel_path: RelPath) -> B2Name:
    """The B2 name of a local file; LocalAccessError when B2 cannot hold the name."""
    name = prefix + rel_path
    problem = name_problem(name)
    if problem is not None:
        raise LocalAccessError(problem, rel_path=rel_path)
    return B2Name(name)


def to_rel_path(prefix: str, b2_name: str) -> RelPath | None:
    """The local relative path of a B2 name under ``prefix``; None when it is outside
    the prefix or could escape the folder (``..``, absolute, empty segments)."""
    if not b2_name.startswith(prefix):
        return None
    rel = b2_name[len(prefix) :]
    if not rel or rel.startswith("/") or rel.endswith("/") or "\x00" in rel:
        return None
    parts = rel.split("/")
    if any(part in ("", ".", "..") for part in parts):
        return None
    if posixpath.normpath(rel) != rel:
        return None
    return RelPath(rel)
