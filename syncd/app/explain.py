"""``syncd explain PATH``: why one path is (or is not) on B2, from the folder's rules,
the local file and the journal (read-only), without asking B2.

Imports ``syncd.config``, the watch filters, ``syncd.journal.peek`` and the app's
``files``. The verdict is one word (``Explanation.verdict``) with the facts behind it;
``as_json`` is the ``--json`` form.
"""

from __future__ import annotations

import functools
import hashlib
import os
import stat
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from syncd.app.files import JOURNAL_NAME, state_path
from syncd.config import Config, FolderConfig
from syncd.errors import UsageError
from syncd.journal.peek import IndexRow, IssueRow, JournalPeek, PendingRow
from syncd.watch.filters import Filters

MARKER_NAME = ".syncd-folder"  # the root marker (engine.local.MARKER_NAME; a test checks)
SYNCED_VERDICTS = frozenset({"synced", "excluded"})  # explain exits 0 for these


@dataclass(frozen=True, slots=True, kw_only=True)
class LocalFacts:
    """What the path is on disk now."""

    kind: str  # file | directory | symlink | special | missing
    size: int | None = None
    mtime_ns: int | None = None
    sha1: str | None = None  # only with --hash


@dataclass(frozen=True, slots=True, kw_only=True)
class Explanation:
    """The verdict on one path and the facts behind it."""

    folder: str
    rel_path: str
    verdict: str  # see VERDICTS in docs/explain text of the CLI
    reason: str
    local: LocalFacts
    rule: str | None = None  # the exclude pattern, the marker file, or the size cap
    pending: PendingRow | None = None
    issue: IssueRow | None = None
    index: IndexRow | None = None

    def as_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def locate(config: Config, path: Path) -> tuple[FolderConfig, str]:
    """The folder holding ``path`` (absolute, or relative to the working dir) and the
    path inside it.

    Raises:
        UsageError: the path is in no configured folder.
    """
    absolute = Path(os.path.abspath(path))
    for folder in config.folders:
        root = Path(os.path.abspath(folder.path))
        if absolute == root or absolute.is_relative_to(root):
            rel = absolute.relative_to(root).as_posix()
            return folder, "" if rel == "." else rel
    names = ", ".join(str(f.path) for f in config.folders)
    raise UsageError(f"{path} is in no configured folder ({names})")


def explain(config: Config, path: Path, *, with_hash: bool = False) -> Explanation:
    """Explain one path.

    Raises:
        UsageError: the path is in no configured folder.
        JournalError: the journal cannot be read.
    """
    folder, rel = locate(config, path)
    local = _local(folder.path / rel if rel else folder.path, with_hash=with_hash)
    make = functools.partial(Explanation, folder=folder.name, rel_path=rel, local=local)
    if not rel:
        return make(verdict="root", reason="the folder's root; its files are synced")
    excluded = _exclusion(folder, rel, is_dir=local.kind == "directory")
    if excluded is not None:
        return make(verdict="excluded", reason=excluded[0], rule=excluded[1])
    journal = state_path(config, JOURNAL_NAME)
    if not journal.exists():
        reason = "syncd never ran with this state directory"
        return make(verdict="unknown", reason=reason)
    with JournalPeek(journal) as peek:
        pending = peek.pending_row(folder.name, rel)
        issue = peek.issue(folder.name, rel)
        index = peek.index_row(folder.name, rel)
    verdict, reason = _verdict(local, pending, issue, index)
    return make(verdict=verdict, reason=reason, pending=pending, issue=issue, index=index)


def _exclusion(folder: FolderConfig, rel: str, *, is_dir: bool) -> tuple[str, str] | None:
    """(why, rule) when the folder's config leaves the path out."""
    filters = Filters.of(folder)
    if rel == MARKER_NAME:
        return "syncd's own folder marker is never synced", MARKER_NAME
    hit = filters.rule(rel, is_dir=is_dir)
    if hit is not None:
        where, pattern = hit
        what = "the path" if where == rel else f"the directory {where}/ above it"
        return f"exclude pattern {pattern!r} matches {what}", pattern
    if folder.exclude_if_present:
        parts = rel.split("/")
        dirs = parts if is_dir else parts[:-1]
        for depth in range(len(dirs) + 1):
            directory = folder.path.joinpath(*dirs[:depth])
            if (directory / folder.exclude_if_present).exists():
                shown = "/".join(dirs[:depth]) or "the folder root"
                why = f"{shown} holds {folder.exclude_if_present} (exclude_if_present)"
                return why, f"exclude_if_present = {folder.exclude_if_present!r}"
    return None


def _local(path: Path, *, with_hash: bool) -> LocalFacts:
    try:
        st = path.lstat()
    except FileNotFoundError:
        return LocalFacts(kind="missing")
    except OSError as exc:
        return LocalFacts(kind=f"unreadable ({exc.strerror})")
    if stat.S_ISDIR(st.st_mode):
        return LocalFacts(kind="directory")
    if stat.S_ISLNK(st.st_mode):
        return LocalFacts(kind="symlink")
    if not stat.S_ISREG(st.st_mode):
        return LocalFacts(kind="special")
    digest = _sha1(path) if with_hash else None
    return LocalFacts(kind="file", size=st.st_size, mtime_ns=st.st_mtime_ns, sha1=digest)


def _sha1(path: Path) -> str | None:
    h = hashlib.sha1(usedforsecurity=False)
    try:
        with path.open("rb") as f:
            while chunk := f.read(1 << 20):
                h.update(chunk)
    except OSError:
        return None
    return h.hexdigest()


def _verdict(
    local: LocalFacts, pending: PendingRow | None, issue: IssueRow | None, index: IndexRow | None
) -> tuple[str, str]:
    if issue is not None:
        return "skipped", issue.reason
    if pending is not None:
        if pending.attempts:
            return "failing", f"failed {pending.attempts}x: {pending.last_error}"
        if pending.leased:
            return "in_flight", f"a worker is syncing it now ({pending.kind})"
        return "pending", f"{pending.kind} change waiting to be synced"
    if local.kind == "directory":
        return "directory", "directories are not stored on B2; the files in them are"
    if index is None:
        if local.kind == "missing":
            return "absent", "neither on disk nor in the index"
        return "not_seen", "not in the journal yet: the daemon has not seen it (is it running?)"
    if local.kind == "missing":
        return "deleted_unseen", "on B2, deleted locally, the delete not seen yet"
    if local.sha1 is not None:
        same = local.sha1 == index.sha1
        return (
            ("synced", "on B2, same SHA-1") if same else ("changed", "on B2, local SHA-1 differs")
        )
    if local.size == index.size and local.mtime_ns == index.mtime_ns:
        return "synced", "on B2; size and mtime match the upload"
    return "changed", "on B2, but the local size or mtime changed since the upload"
