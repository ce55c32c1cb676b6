"""First contact with a bucket: adopt what is already there.

When a folder's index is empty (its first sync, or a lost journal), the visible versions
under the prefix (from the remote index the reconcile walk just filled, else one
listing) are merge-joined with a local scan; every file whose B2 version has the same
size and ``src_last_modified_millis`` (as ``b2 sync`` and rclone write it) is recorded in
the index as already uploaded, so nothing they uploaded is sent again. One class C call
per 1,000 versions, once per folder, shared with the reconcile walk.
"""

from __future__ import annotations

from collections.abc import Iterator

import structlog

from syncd.config import FolderConfig
from syncd.domain import B2Name, IndexEntry, LocalState, rel_path_key
from syncd.engine.executor import entry_for
from syncd.journal import Journal
from syncd.paths import name_problem
from syncd.remote import FileVersion
from syncd.watch import Scanner

log = structlog.get_logger(__name__)
BATCH = 1000


def adoptable(local: LocalState, version: FileVersion) -> bool:
    """True when B2's visible version is this file as peers compare it: same size and
    mtime in ms, an upload with a known sha1."""
    return (
        version.action in ("upload", "copy")
        and version.size == local.size
        and version.src_last_modified_ms == local.mtime_ms
        and version.content_sha1 is not None
    )


def pair_up(
    prefix: str, locals_: Iterator[LocalState], remote: Iterator[FileVersion]
) -> Iterator[tuple[LocalState, FileVersion]]:
    """Local files and the remote version of the same name, by a merge-join of two
    streams sorted by name bytes."""
    current = next(remote, None)
    for local in locals_:
        if name_problem(prefix + local.rel_path) is not None:
            continue
        key = rel_path_key(prefix + local.rel_path)
        while current is not None and current.file_name.encode() < key:
            current = next(remote, None)
        if current is not None and current.file_name == prefix + local.rel_path:
            yield local, current


def adopt_folder(journal: Journal, folder: FolderConfig, remote: Iterator[FileVersion]) -> int:
    """Index the files B2 already holds for an unindexed folder; return their number.
    ``remote``: B2's visible versions under the prefix by name, from the remote index
    after a finished walk, or from a listing."""
    scanner = Scanner(folder)
    locals_ = (e for e in scanner.scan() if isinstance(e, LocalState))
    batch: list[IndexEntry] = []
    adopted = 0
    for local, version in pair_up(folder.prefix, locals_, remote):
        if not adoptable(local, version):
            continue
        assert version.content_sha1 is not None  # checked by adoptable
        batch.append(
            entry_for(
                folder.name,
                B2Name(version.file_name),
                local,
                sha1=version.content_sha1,
                file_id=version.file_id,
                uploaded_ms=version.upload_timestamp_ms,
            )
        )
        if len(batch) >= BATCH:
            journal.put_index(batch)
            adopted += len(batch)
            batch = []
    journal.put_index(batch)
    adopted += len(batch)
    log.info("bucket_adopted", folder=folder.name, files=adopted)
    return adopted
