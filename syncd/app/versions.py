"""``syncd history --versions PATH``: every version B2 holds of one local path, newest
first, with the one the journal says syncd last stored marked.

Imports the app's ``restore`` (its ``Remote``: an authorized client and checked
buckets), ``explain`` (``locate``: local path -> folder) and ``files``, the engine's
``RemoteStore`` port and ``syncd.journal.peek``. Reads B2 through ``iter_versions``
(class C listings, one page per 1,000 versions of the name).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from syncd.app.explain import locate
from syncd.app.files import JOURNAL_NAME, state_path
from syncd.app.restore import READ_CAPABILITIES, Remote
from syncd.config import Config
from syncd.engine import RemoteStore
from syncd.errors import UsageError
from syncd.journal.peek import JournalPeek
from syncd.remote import Bucket


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """One version of the path on B2."""

    file_id: str
    action: str  # upload | copy | hide | start (an unfinished large file)
    size: int
    sha1: str | None
    uploaded_ms: int
    mtime_ms: int | None  # src_last_modified_millis
    is_current: bool  # the newest version, and not a hide marker
    is_recorded: bool  # the version the journal's index holds for the path

    def as_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


@dataclass(frozen=True, slots=True, kw_only=True)
class PathVersions:
    """The versions of one path."""

    folder: str
    rel_path: str
    b2_name: str
    versions: tuple[Version, ...]


def versions_of(
    store: RemoteStore, bucket: Bucket, b2_name: str, recorded: str | None
) -> list[Version]:
    """Every version of exactly ``b2_name``, newest first (as B2 lists them)."""
    found = [v for v in store.iter_versions(bucket, b2_name) if v.file_name == b2_name]
    return [
        Version(
            file_id=v.file_id,
            action=v.action,
            size=v.size,
            sha1=v.content_sha1,
            uploaded_ms=v.upload_timestamp_ms,
            mtime_ms=v.src_last_modified_ms,
            is_current=i == 0 and v.action in ("upload", "copy"),
            is_recorded=v.file_id == recorded,
        )
        for i, v in enumerate(found)
    ]


def version_history(config: Config, path: Path) -> PathVersions:
    """The versions B2 holds of the local ``path``.

    Raises:
        UsageError: the path is in no folder, or names the folder itself.
        RemoteError, AuthRejectedError: B2 cannot be listed.
    """
    folder, rel = locate(config, path)
    if not rel:
        raise UsageError(f"{path} is a folder's root; name a file in it (or use syncd ls)")
    b2_name = folder.prefix + rel
    recorded = None
    journal = state_path(config, JOURNAL_NAME)
    if journal.exists():
        with JournalPeek(journal) as peek:
            row = peek.index_row(folder.name, rel)
            recorded = row.file_id if row is not None else None
    with Remote(config, need=READ_CAPABILITIES) as remote:
        found = versions_of(remote.client, remote.bucket(folder), b2_name, recorded)
    return PathVersions(folder=folder.name, rel_path=rel, b2_name=b2_name, versions=tuple(found))
