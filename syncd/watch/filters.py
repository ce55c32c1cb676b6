"""What a folder leaves out: gitignore-style patterns, a marker file, a size cap and
the symlink policy. Pure: no I/O except where a function says so.

Imports ``syncd.config`` and ``syncd.errors``; patterns are compiled by ``pathspec``
(git's wildmatch rules, ``!`` negation, ``/`` anchors, ``**``). As in git, a path is
excluded when any directory above it is excluded: a negation cannot re-include a file
below an excluded directory, so the scanner (which never descends into an excluded
directory) and the watcher (which checks ancestors) agree.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

import pathspec

from syncd.config import FolderConfig, FollowSymlinks
from syncd.errors import ConfigError

_CACHE_MAX = 4096


def compile_patterns(patterns: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """Compile gitignore-style patterns; ConfigError names the first bad one."""
    lines = list(patterns)
    try:
        return pathspec.GitIgnoreSpec.from_lines(lines)
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"invalid exclude pattern: {exc}") from exc


class Filters:
    """The exclusion rules of one folder. Safe to share between threads."""

    __slots__ = (
        "_dir_cache",
        "_lines",
        "_spec",
        "exclude_if_present",
        "follow_symlinks",
        "has_patterns",
        "max_size_bytes",
    )

    def __init__(
        self,
        patterns: Iterable[str] = (),
        *,
        exclude_if_present: str | None = None,
        max_size_bytes: int | None = None,
        follow_symlinks: FollowSymlinks = False,
    ) -> None:
        self._lines = list(patterns)
        self._spec = compile_patterns(self._lines)
        # False when no line is a pattern (none, or only blanks and comments): then
        # ``matches`` is always False and a walk need not ask it.
        self.has_patterns = any(p.include is not None for p in self._spec.patterns)
        self._dir_cache: dict[str, bool] = {}
        self.exclude_if_present = exclude_if_present
        self.max_size_bytes = max_size_bytes
        self.follow_symlinks = follow_symlinks

    @classmethod
    def of(cls, folder: FolderConfig, extra: Iterable[str] = ()) -> Filters:
        """The rules a folder's config asks for, plus ``extra`` patterns."""
        return cls(
            (*folder.exclude, *extra),
            exclude_if_present=folder.exclude_if_present,
            max_size_bytes=folder.max_size_bytes,
            follow_symlinks=folder.follow_symlinks,
        )

    def matches(self, rel_path: str, *, is_dir: bool) -> bool:
        """True when a pattern excludes this path itself (ancestors not checked)."""
        if not rel_path:
            return False
        return self._spec.match_file(rel_path + "/" if is_dir else rel_path)

    def excluded(self, rel_path: str, *, is_dir: bool) -> bool:
        """True when the patterns exclude ``rel_path`` or any directory above it."""
        if not rel_path:
            return False
        parent, _, _ = rel_path.rpartition("/")
        if parent and self._dir_excluded(parent):
            return True
        return self.matches(rel_path, is_dir=is_dir)

    def _dir_excluded(self, rel_dir: str) -> bool:
        cached = self._dir_cache.get(rel_dir)
        if cached is not None:
            return cached
        parent, _, _ = rel_dir.rpartition("/")
        result = (bool(parent) and self._dir_excluded(parent)) or self.matches(rel_dir, is_dir=True)
        if len(self._dir_cache) >= _CACHE_MAX:
            self._dir_cache.clear()
        self._dir_cache[rel_dir] = result
        return result

    def rule(self, rel_path: str, *, is_dir: bool) -> tuple[str, str] | None:
        """Why ``excluded`` is True: (the path it matched, the pattern), checking the
        directories above first, as ``excluded`` does; None when nothing excludes it."""
        parts = rel_path.split("/")
        for depth in range(1, len(parts) + 1):
            path = "/".join(parts[:depth])
            as_dir = depth < len(parts) or is_dir
            result = self._spec.check_file(path + "/" if as_dir else path)
            if result.include and result.index is not None:
                return path, self._lines[result.index]
        return None

    def too_large(self, size_bytes: int) -> bool:
        """True when a file of this size is over ``max_size_bytes``."""
        return self.max_size_bytes is not None and size_bytes > self.max_size_bytes

    def is_marker(self, name: str) -> bool:
        """True when ``name`` is the ``exclude_if_present`` marker file name."""
        return self.exclude_if_present is not None and name == self.exclude_if_present


def is_inside(root_real: str, target_real: str) -> bool:
    """True when the resolved ``target_real`` is ``root_real`` or below it."""
    if target_real == root_real:
        return True
    prefix = root_real if root_real.endswith(os.sep) else root_real + os.sep
    return target_real.startswith(prefix)


def symlink_problem(root_real: str, link_abs: str, *, follow: FollowSymlinks) -> str | None:
    """Why a path that passes through a symlink is not followed, or None when it may be
    (reads the link chain). The one symlink rule: the scanner and the worker both ask it.

    ``false`` never follows; ``true`` follows only what resolves, without a loop, to a
    place inside the folder; ``"all"`` follows anything that resolves without a loop.
    """
    if follow is False:
        return "symbolic link (not followed)"
    try:
        target = os.path.realpath(link_abs, strict=True)
    except OSError:
        return "symbolic link that is broken or loops"
    if follow != "all" and not is_inside(root_real, target):
        return "symbolic link to a place outside the folder"
    return None
