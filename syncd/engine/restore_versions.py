"""Version histories: which version of a name counts at a time, and what ``ls`` shows.

Pure. A listing arrives sorted by name, newest first; ``histories`` groups it per name.
At time T a name holds its newest version uploaded at or before T; when that is a hide
marker (or there is none) the name did not exist at T.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from syncd.remote import FileVersion

CONTENT_ACTIONS = ("upload", "copy")
HISTORY_ACTIONS = ("upload", "copy", "hide")


@dataclass(frozen=True, slots=True, kw_only=True)
class History:
    """Every finished version of one name, newest first."""

    name: str
    versions: tuple[FileVersion, ...]

    @property
    def newest(self) -> FileVersion:
        """The newest version (an upload, a copy or a hide marker)."""
        return self.versions[0]

    @property
    def is_deleted(self) -> bool:
        """True when the newest version is a hide marker."""
        return self.newest.action == "hide"

    def at(self, at_ms: int | None) -> FileVersion | None:
        """The content version the name held at ``at_ms`` (None: now), or None when the
        name did not exist then (no version yet, or hidden)."""
        for version in self.versions:
            if at_ms is None or version.upload_timestamp_ms <= at_ms:
                return version if version.action in CONTENT_ACTIONS else None
        return None

    def before_delete(self) -> FileVersion | None:
        """The content version just below the newest hide marker (what undelete brings
        back), or None when the name is not deleted or never had content."""
        if not self.is_deleted:
            return None
        for version in self.versions[1:]:
            if version.action in CONTENT_ACTIONS:
                return version
        return None

    def changed_after(self, since_ms: int) -> bool:
        """True when some version (an upload or a delete) is newer than ``since_ms``."""
        return self.newest.upload_timestamp_ms > since_ms


def histories(versions: Iterable[FileVersion]) -> Iterator[History]:
    """Group a name-sorted listing into one History per name; unfinished large files
    and folder markers are dropped. Versions are ordered by upload time, newest first
    (stable, so B2's own order breaks ties)."""
    name: str | None = None
    group: list[FileVersion] = []
    for version in versions:
        if version.action not in HISTORY_ACTIONS:
            continue
        if version.file_name != name and group:
            yield _history(group)
            group = []
        name = version.file_name
        group.append(version)
    if group:
        yield _history(group)


def _history(group: Sequence[FileVersion]) -> History:
    ordered = sorted(group, key=lambda v: -v.upload_timestamp_ms)
    return History(name=ordered[0].file_name, versions=tuple(ordered))


@dataclass(frozen=True, slots=True, kw_only=True)
class LsRow:
    """One line of ``syncd ls``."""

    name: str  # relative to the folder
    action: str
    size: int
    mtime_ms: int | None
    upload_ms: int
    sha1: str | None
    file_id: str
    deleted_ms: int | None = None  # for --deleted: when the name was hidden
    encryption: str | None = None  # "SSE-B2" | "SSE-C" | None
    sse_c_key_id: str | None = None
    retention_mode: str | None = None
    retain_until_ms: int | None = None
    legal_hold: bool | None = None

    def as_dict(self) -> dict[str, object]:
        """The row for ``--json``."""
        return {
            "name": self.name,
            "action": self.action,
            "size": self.size,
            "mtime_ms": self.mtime_ms,
            "upload_ms": self.upload_ms,
            "sha1": self.sha1,
            "file_id": self.file_id,
            "deleted_ms": self.deleted_ms,
            "encryption": self.encryption,
            "sse_c_key_id": self.sse_c_key_id,
            "retention_mode": self.retention_mode,
            "retain_until_ms": self.retain_until_ms,
            "legal_hold": self.legal_hold,
        }


def row(rel: str, version: FileVersion, *, deleted_ms: int | None = None) -> LsRow:
    """The ls row of one version shown under the relative name ``rel``."""
    content = version.action in CONTENT_ACTIONS
    return LsRow(
        name=rel,
        action=version.action,
        size=version.size if content else 0,
        mtime_ms=version.src_last_modified_ms if content else None,
        upload_ms=version.upload_timestamp_ms,
        sha1=version.content_sha1 if content else None,
        file_id=version.file_id,
        deleted_ms=deleted_ms,
        encryption=version.encryption,
        sse_c_key_id=version.sse_c_key_id,
        retention_mode=version.retention_mode,
        retain_until_ms=version.retain_until_ms,
        legal_hold=version.legal_hold,
    )


def ls_rows(
    items: Iterable[tuple[str, History]],
    *,
    versions: bool = False,
    deleted: bool = False,
    at_ms: int | None = None,
) -> Iterator[LsRow]:
    """The rows of ``ls`` for (relative name, history) pairs.

    ``versions``: every version, hide markers included (limited to ``at_ms`` if set);
    ``deleted``: names whose newest version is a hide, shown by their last content;
    otherwise the tree at ``at_ms`` (None: now)."""
    for rel, history in items:
        if versions:
            for version in history.versions:
                if at_ms is None or version.upload_timestamp_ms <= at_ms:
                    yield row(rel, version)
        elif deleted:
            if history.is_deleted:
                last = history.before_delete()
                shown = last if last is not None else history.newest
                yield row(rel, shown, deleted_ms=history.newest.upload_timestamp_ms)
        else:
            current = history.at(at_ms)
            if current is not None:
                yield row(rel, current)
