"""Which remote names may become local paths on restore (reliability.md S11).

Pure. A name from the bucket is hostile until shown otherwise: ``..`` and ``.``
segments, absolute names, empty segments, backslashes, drive letters, NUL and other
control characters are refused, and so is any segment that Unicode compatibility folding
turns into ``.`` or ``..`` (full-width dots). The writer still opens every directory
without following symlinks; this check is the first of two walls, not the only one.
syncd's own root marker and staging directories are never written from a remote name
either.
"""

from __future__ import annotations

import re
import unicodedata

from syncd.domain import RelPath
from syncd.engine.local import MARKER_NAME
from syncd.engine.restore_staging import STAGING_PREFIX

_DRIVE = re.compile(r"[A-Za-z]:")


def rel_problem(rel: str) -> str | None:
    """Why ``rel`` (a name relative to the folder) must not be written, or None."""
    if not rel:
        return "empty name"
    if rel.startswith("/"):
        return "absolute name"
    if "\\" in rel:
        return "backslash in name"
    for ch in rel:
        if ord(ch) < 32 or ord(ch) == 127:
            return f"control character U+{ord(ch):04X} in name"
    parts = rel.split("/")
    if _DRIVE.match(parts[0]):
        return "drive letter in name"
    for part in parts:
        if part == "":
            return "empty segment in name"
        folded = unicodedata.normalize("NFKC", part)
        if folded in (".", "..") or part in (".", ".."):
            return f"'{part}' segment in name"
        if "/" in folded or "\\" in folded:
            return "a character that folds into a path separator"
    if rel == MARKER_NAME or parts[0].startswith(STAGING_PREFIX):
        return "a name syncd reserves for itself"
    return None


def split_rel(prefix: str, b2_name: str) -> tuple[RelPath | None, str | None]:
    """(rel_path, None) when ``b2_name`` is safe under ``prefix``, else (None, reason)."""
    if not b2_name.startswith(prefix):
        return None, "outside the folder's prefix"
    rel = b2_name[len(prefix) :]
    problem = rel_problem(rel)
    if problem is not None:
        return None, problem
    return RelPath(rel), None


def under(rel: str, sub: str) -> bool:
    """True when ``rel`` is ``sub`` itself or lies below it (``sub`` "" is everything)."""
    return not sub or rel == sub or rel.startswith(sub + "/")
