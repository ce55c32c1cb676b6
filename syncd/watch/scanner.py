"""Walk a folder and yield its regular files in path-byte order, ready to be
merge-joined with the journal's index.

Imports ``syncd.config``, ``syncd.domain`` and ``syncd.watch.filters``. The walk is a
generator over an explicit stack: only one sorted listing per open directory is held,
never the tree. Within a directory, entries are sorted by name bytes with directories
keyed as ``name + b"/"``; a depth-first walk in that order yields full paths in global
byte order (``a-b`` < ``a.txt`` < ``a/b`` < ``a0``).

Nothing is ever opened except directories: FIFOs, sockets and devices are reported
from ``lstat`` alone. What could not be looked at goes into ``Scanner.unreadable`` so
that its absence is never read as "deleted".
"""

from __future__ import annotations

import errno
import os
import stat
from collections.abc import Generator, Iterator
from dataclasses import dataclass, field

from syncd.config import FolderConfig, FollowSymlinks
from syncd.domain import FileStamp, LocalState, RelPath, SkippedItem, stamp_of
from syncd.watch.filters import Filters, symlink_problem

_GONE = (errno.ENOENT, errno.ENOTDIR)
Entry = LocalState | SkippedItem


class Unseen:
    """Paths whose absence from a scan proves nothing: below a directory that could not
    be read or was not entered, skipped files, and whatever the filters exclude.

    ``rel_path in unseen`` is what ``diff_to_changes`` asks before a DELETED.
    """

    def __init__(self, filters: Filters | None = None) -> None:
        self._filters = filters
        self.dirs: set[str] = set()
        self.files: set[str] = set()

    def add_dir(self, rel_path: str) -> None:
        """Everything at or below ``rel_path`` is unknown ("" is the whole folder)."""
        self.dirs.add(rel_path)

    def add_file(self, rel_path: str) -> None:
        """This one path is unknown."""
        self.files.add(rel_path)

    def __contains__(self, rel_path: object) -> bool:
        if not isinstance(rel_path, str):
            return False
        if rel_path in self.files or "" in self.dirs or rel_path in self.dirs:
            return True
        if self.dirs:
            parts = rel_path.split("/")
            for i in range(1, len(parts)):
                if "/".join(parts[:i]) in self.dirs:
                    return True
        return self._filters is not None and self._filters.excluded(rel_path, is_dir=False)


@dataclass(slots=True)
class _Frame:
    """One open directory of the walk: its sorted entries and identity."""

    rel: str
    ident: tuple[int, int]
    prefix: bytes = b""  # the path key of the directory plus b"/" ("" at the root)
    entries: Iterator[_Listed] = field(default_factory=lambda: iter(()))


# One entry of a directory listing: (sort key, listed as a directory, the entry).
_Listed = tuple[bytes, bool, os.DirEntry[bytes]]


def _join(rel_dir: str, name: str) -> str:
    return f"{rel_dir}/{name}" if rel_dir else name


def _is_dir(entry: os.DirEntry[bytes], *, follow: FollowSymlinks) -> bool:
    try:
        return entry.is_dir(follow_symlinks=follow is not False and entry.is_symlink())
    except OSError:
        return False


def _sort_key(listed: _Listed) -> bytes:
    return listed[0]


class Scanner:
    """Walks one folder; ``scan`` may be called again for another pass."""

    def __init__(self, folder: FolderConfig, *, filters: Filters | None = None) -> None:
        self._folder = folder
        self._root = os.fsencode(folder.path)
        self._filters = filters if filters is not None else Filters.of(folder)
        marker = folder.exclude_if_present
        self._marker = os.fsencode(marker) if marker else None
        self._root_real = ""
        self._root_dev = 0
        self.unreadable = Unseen(self._filters)

    def scan(self, under: RelPath | None = None) -> Iterator[Entry]:
        """Yield the regular files at or below ``under`` (the whole folder if None or
        ""), sorted by path bytes, and a SkippedItem for each item that is not synced.

        ``self.unreadable`` is replaced by a fresh ``Unseen`` when ``scan`` is called
        and fills in as the generator runs. A missing or unreadable root yields one
        SkippedItem and marks the whole folder unseen: never "everything deleted".
        """
        stamps = self.scan_stamps(under)  # checks ``under`` now, not on the first next()
        return (s if isinstance(s, SkippedItem) else LocalState.from_stamp(s) for s in stamps)

    def scan_stamps(self, under: RelPath | None = None) -> Iterator[FileStamp | SkippedItem]:
        """``scan`` with each file as a ``FileStamp`` instead of a LocalState (the same
        files, skips and order; the rescanner's whole-folder comparison, one tuple per
        file)."""
        if under and any(part in ("", ".", "..") for part in under.split("/")):
            raise ValueError(f"not a relative path inside the folder: {under!r}")
        self.unreadable = Unseen(self._filters)
        return self._scan(under or "", self.unreadable)

    def _skip(self, rel_path: str, reason: str) -> SkippedItem:
        return SkippedItem(folder=self._folder.name, rel_path=RelPath(rel_path), reason=reason)

    def _scan(self, under: str, unseen: Unseen) -> Iterator[FileStamp | SkippedItem]:
        try:
            root_st = os.stat(self._root)
        except OSError as exc:
            unseen.add_dir("")
            yield self._skip("", f"folder root cannot be read: {exc.strerror}")
            return
        if not stat.S_ISDIR(root_st.st_mode):
            unseen.add_dir("")
            yield self._skip("", "folder root is not a directory")
            return
        self._root_real = os.fsdecode(os.path.realpath(self._root))
        self._root_dev = root_st.st_dev
        ancestors = {(root_st.st_dev, root_st.st_ino)}
        top = _Frame(rel="", ident=(root_st.st_dev, root_st.st_ino))
        abs_dir = self._root
        if under:
            found = yield from self._descend_to(under, unseen, ancestors)
            if found is None:
                return
            top = _Frame(rel=under, ident=found, prefix=os.fsencode(under) + b"/")
            abs_dir = self._root + b"/" + os.fsencode(under)
        problem = self._open(top, abs_dir, unseen)
        if problem is not None:
            yield problem
        yield from self._walk([top], unseen, ancestors)

    def _descend_to(
        self, under: str, unseen: Unseen, ancestors: set[tuple[int, int]]
    ) -> Generator[FileStamp | SkippedItem, None, tuple[int, int] | None]:
        """Check each step from the root down to ``under`` (links, filters, markers,
        filesystem, loops). Yields ``under`` itself if it is a file; returns the
        directory's identity when there is a directory to walk, else None."""
        rel = ""
        abs_dir = self._root
        found: tuple[int, int] | None = None
        parts = under.split("/")
        for i, part in enumerate(parts):
            if self._has_marker(abs_dir):
                unseen.add_dir(under)
                return None
            rel = _join(rel, part)
            path = abs_dir + b"/" + os.fsencode(part)
            result = self._classify(os.fsencode(rel), path, unseen, keyed_dir=None)
            is_dir = isinstance(result, os.stat_result) and stat.S_ISDIR(result.st_mode)
            if result is not None and self._filters.matches(rel, is_dir=is_dir):
                unseen.add_dir(under)
                return None
            if not isinstance(result, os.stat_result):
                if result is not None and i == len(parts) - 1:
                    yield result
                return None
            if not is_dir:
                if i == len(parts) - 1:
                    yield stamp_of(os.fsencode(rel), result)
                return None
            ident = (result.st_dev, result.st_ino)
            if ident in ancestors:
                unseen.add_dir(under)
                yield self._skip(rel, "directory loop (the same directory is above it)")
                return None
            ancestors.add(ident)
            abs_dir = path
            found = ident
        return found

    def _has_marker(self, abs_dir: bytes) -> bool:
        if self._marker is None:
            return False
        try:
            os.lstat(abs_dir + b"/" + self._marker)
        except OSError:
            return False
        return True

    def _open(self, frame: _Frame, abs_dir: bytes, unseen: Unseen) -> SkippedItem | None:
        """List ``abs_dir`` into ``frame``; a SkippedItem when it cannot be read."""
        try:
            with os.scandir(abs_dir) as it:
                entries = list(it)
        except OSError as exc:
            if exc.errno in _GONE:
                return None
            unseen.add_dir(frame.rel)
            return self._skip(frame.rel, f"directory cannot be read: {exc.strerror}")
        if self._marker is not None and any(e.name == self._marker for e in entries):
            unseen.add_dir(frame.rel)
            return None
        follow = self._filters.follow_symlinks
        listed: list[_Listed] = []
        for entry in entries:
            keyed_dir = _is_dir(entry, follow=follow)
            listed.append((entry.name + b"/" if keyed_dir else entry.name, keyed_dir, entry))
        listed.sort(key=_sort_key)
        frame.entries = iter(listed)
        return None

    def _walk(
        self, stack: list[_Frame], unseen: Unseen, ancestors: set[tuple[int, int]]
    ) -> Iterator[FileStamp | SkippedItem]:
        # The hot loop of every rescan (one pass per file): paths stay bytes keys, and
        # the text path is decoded only where it is needed (patterns, skips, dirs).
        filters = self._filters.matches if self._filters.has_patterns else None
        lstat, is_reg, too_large = os.lstat, stat.S_ISREG, self._filters.too_large
        while stack:
            frame = stack[-1]
            prefix = frame.prefix
            for _, keyed_dir, entry in frame.entries:
                key = prefix + entry.name
                if filters is not None and filters(os.fsdecode(key), is_dir=keyed_dir):
                    continue
                if not keyed_dir:
                    # Nearly every entry: a regular file listed as one and within the
                    # size limit is what ``_classify`` would return. Anything else (an
                    # error, a link, a type change, too large) goes through ``_visit``,
                    # which looks again.
                    try:
                        st: os.stat_result | None = lstat(entry.path)
                    except OSError:
                        st = None
                    if st is not None and is_reg(st.st_mode) and not too_large(st.st_size):
                        yield stamp_of(key, st)
                        continue
                visit = self._visit(
                    key, entry, keyed_dir=keyed_dir, unseen=unseen, stack=stack, ancestors=ancestors
                )
                if (yield from visit):
                    break  # depth first: the child's entries come next
            else:
                ancestors.discard(stack.pop().ident)

    def _visit(
        self,
        key: bytes,
        entry: os.DirEntry[bytes],
        *,
        keyed_dir: bool,
        unseen: Unseen,
        stack: list[_Frame],
        ancestors: set[tuple[int, int]],
    ) -> Generator[FileStamp | SkippedItem, None, bool]:
        """One listed entry, classified: yield the file or the skip it is; True when it
        is a directory, now opened and pushed on ``stack``."""
        result = self._classify(key, entry.path, unseen, keyed_dir=keyed_dir)
        if result is None:
            return False
        if not isinstance(result, os.stat_result):
            yield result
            return False
        if not stat.S_ISDIR(result.st_mode):
            yield stamp_of(key, result)
            return False
        rel = os.fsdecode(key)
        ident = (result.st_dev, result.st_ino)
        if ident in ancestors:
            unseen.add_dir(rel)
            yield self._skip(rel, "directory loop (the same directory is above it)")
            return False
        child = _Frame(rel=rel, ident=ident, prefix=key + b"/")
        problem = self._open(child, entry.path, unseen)
        if problem is not None:
            yield problem
        stack.append(child)
        ancestors.add(ident)
        return True

    def _classify(
        self, key: bytes, path: bytes, unseen: Unseen, *, keyed_dir: bool | None
    ) -> SkippedItem | os.stat_result | None:
        """What one path (path key ``key``) is: the ``lstat`` of a regular file or of a
        directory to enter (the ``stat`` behind a symlink that may be followed), a
        SkippedItem, or None (gone, or changed type since it was listed).
        ``keyed_dir`` is how the listing sorted it (None: not from a listing)."""
        try:
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                problem = symlink_problem(
                    self._root_real, os.fsdecode(path), follow=self._filters.follow_symlinks
                )
                if problem is not None:
                    return self._skip(os.fsdecode(key), problem)
                st = os.stat(path)
        except OSError as exc:
            if exc.errno in _GONE:
                return None
            rel = os.fsdecode(key)
            unseen.add_dir(rel)
            return self._skip(rel, f"cannot be looked at: {exc.strerror}")
        mode = st.st_mode
        if stat.S_ISREG(mode):
            if keyed_dir:
                unseen.add_dir(os.fsdecode(key))  # changed type since the listing
                return None
            if self._filters.too_large(st.st_size):
                rel = os.fsdecode(key)
                unseen.add_file(rel)
                return self._skip(rel, f"larger than max_size_bytes ({st.st_size} bytes)")
            return st
        is_dir = stat.S_ISDIR(mode)
        if keyed_dir is not None and keyed_dir != is_dir:
            unseen.add_dir(os.fsdecode(key))  # its place in the order is lost
            return None
        if is_dir:
            if self._folder.one_file_system and st.st_dev != self._root_dev:
                rel = os.fsdecode(key)
                unseen.add_dir(rel)
                return self._skip(rel, "on another filesystem (one_file_system is on)")
            return st
        return self._skip(os.fsdecode(key), "not a regular file (FIFO, socket or device)")
