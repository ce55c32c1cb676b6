"""Pure restore planning: from version histories to "write this version at this path".

Imports ``syncd.remote`` (values), ``syncd.domain`` and the other ``restore_*`` modules;
no I/O. Three selections share one walk: the tree at a time (``restore --at``), the
names deleted now (``undelete``) and the undo window (``restore --since``). Names that
could escape the target are refused here, each with its reason; the writer refuses
again at the file system.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from syncd.domain import RelPath
from syncd.engine.restore_names import split_rel, under
from syncd.engine.restore_versions import CONTENT_ACTIONS, History, histories
from syncd.remote import FileVersion

Chooser = Callable[[History], "FileVersion | str | None"]
"""Picks the version to restore, or says why the name is left alone (str), or None
(nothing to say: the name is out of the selection)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreItem:
    """Write ``version`` at ``rel_path`` (relative to the target directory)."""

    rel_path: RelPath
    version: FileVersion
    known: frozenset[tuple[int, str]] = frozenset()  # (size, sha1) of every content version
    folder: str = ""  # the folder's name, once outcomes of several folders are merged

    @property
    def mtime_ms(self) -> int:
        """The mtime to set: ``src_last_modified_millis``, else the upload time."""
        v = self.version
        return (
            v.src_last_modified_ms if v.src_last_modified_ms is not None else v.upload_timestamp_ms
        )

    def as_dict(self) -> dict[str, object]:
        """The item for ``--json``."""
        v = self.version
        return {
            "folder": self.folder,
            "path": self.rel_path,
            "file_id": v.file_id,
            "size": v.size,
            "sha1": v.content_sha1,
            "mtime_ms": self.mtime_ms,
            "upload_ms": v.upload_timestamp_ms,
            "encryption": v.encryption,
            "sse_c_key_id": v.sse_c_key_id,
            "retention_mode": v.retention_mode,
            "retain_until_ms": v.retain_until_ms,
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class Note:
    """A name that is not restored, and why (refused as unsafe, or left alone)."""

    name: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class RestorePlan:
    """What a restore will write, what it refuses and what it leaves alone."""

    items: tuple[RestoreItem, ...]
    refused: tuple[Note, ...]  # hostile names: always reported, make the exit code 1
    kept: tuple[Note, ...] = ()  # left alone on purpose (e.g. new inside the undo window)


def plan(versions: Iterable[FileVersion], prefix: str, sub: str, choose: Chooser) -> RestorePlan:
    """Walk a listing of ``prefix + sub`` and choose a version per name under ``sub``."""
    items: list[RestoreItem] = []
    refused: list[Note] = []
    kept: list[Note] = []
    for history in histories(versions):
        raw = history.name[len(prefix) :] if history.name.startswith(prefix) else history.name
        if not history.name.startswith(prefix) or not under(raw, sub):
            continue
        chosen = choose(history)
        if chosen is None:
            continue
        if isinstance(chosen, str):
            kept.append(Note(name=raw, reason=chosen))
            continue
        rel, problem = split_rel(prefix, history.name)
        if rel is None:
            refused.append(Note(name=raw, reason=problem or "unsafe name"))
            continue
        known = frozenset(
            (v.size, v.content_sha1)
            for v in history.versions
            if v.action in CONTENT_ACTIONS and v.content_sha1 is not None
        )
        items.append(RestoreItem(rel_path=rel, version=chosen, known=known))
    return RestorePlan(items=tuple(items), refused=tuple(refused), kept=tuple(kept))


def at_time(at_ms: int | None) -> Chooser:
    """The tree as it was at ``at_ms`` (None: now); names absent then are skipped."""
    return lambda history: history.at(at_ms)


def deleted_now() -> Chooser:
    """Names whose newest version is a hide marker: the content just before it."""

    def choose(history: History) -> FileVersion | str | None:
        if not history.is_deleted:
            return None
        found = history.before_delete()
        return found if found is not None else "hidden, with no earlier content"

    return choose


def undo_window(since_ms: int) -> Chooser:
    """Names changed or deleted after ``since_ms``: the version they had then. A name
    created inside the window is left alone (restore never deletes local files)."""

    def choose(history: History) -> FileVersion | str | None:
        if not history.changed_after(since_ms):
            return None
        before = history.at(since_ms)
        return before if before is not None else "did not exist before the window"

    return choose


def one_version(version: FileVersion) -> Chooser:
    """``--at FILE_ID``: exactly that version of its name (the listing passed to
    ``plan`` holds the name's other versions too, to know what B2 keeps)."""

    def choose(history: History) -> FileVersion | str | None:
        if history.name != version.file_name:
            return None
        if version.action not in CONTENT_ACTIONS:
            return f"{version.file_id} is a hide marker, which has no content"
        return version

    return choose


def local_verdict(
    existing_size: int | None,
    is_file: bool,
    item: RestoreItem,
    sha1_of: Callable[[], str],
    *,
    in_place: bool,
) -> str:
    """What to do with what is at the item's path now: "write", "same" (already these
    bytes) or "conflict" (needs ``--force``). ``existing_size`` None: nothing is there.

    In place, a file whose bytes B2 holds as some version of the name is safe to
    replace (nothing is lost); anything else (unsynced edits, a directory, a symlink)
    is a conflict. In a separate target only identical bytes are left alone."""
    if existing_size is None:
        return "write"
    if not is_file:
        return "conflict"
    want = item.version
    sizes = {size for size, _sha1 in item.known} | {want.size}
    if existing_size not in sizes:
        return "conflict"
    local_sha1 = sha1_of()
    if existing_size == want.size and local_sha1 == want.content_sha1:
        return "same"
    if in_place and (existing_size, local_sha1) in item.known:
        return "write"
    return "conflict"
