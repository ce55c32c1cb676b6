"""Bench-only seeding: put a generated tree on the emulator without uploading it.

An initial upload of a million files through syncd takes hours here, so ``idle.py
--build seed`` writes the emulator's data directly, offline (no emulator process runs),
through the emulator's own stores (``EmulatorState``: its SQLite metadata and its
blob store), exactly what an upload would have stored: per file one ``upload`` version
named ``PREFIX + relative path`` with the file's size, SHA1, content type
``application/octet-stream`` and file info ``src_last_modified_millis`` (the file's
mtime in ms, as syncd sends it). The content of each directory's files is written
as one blob and each version's content is a slice of it (a segment, as the emulator
stores ranges of copied files), so a million files cost a thousand blob files, not a
million. Downloads and listings then serve them like any uploaded file.

syncd's journal is not seeded: ``nochange.build_once`` runs one ``syncd sync-now`` on
the empty journal afterwards, and syncd adopts the files through its own first-sync
path (a bucket walk, then a merge-join with the local scan); that run must upload
nothing.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from bench.server import Settings
from syncd.emulator.models import UPLOAD, Segment
from syncd.emulator.options import EmulatorOptions
from syncd.emulator.state import EmulatorState

CONTENT_TYPE = "application/octet-stream"


def _files_by_dir(source: Path) -> dict[str, list[str]]:
    """Relative directory -> its file names, sorted (the marker file is skipped)."""
    found: dict[str, list[str]] = {}
    for top, _dirs, names in os.walk(source):
        rel = os.path.relpath(top, source)
        kept = sorted(n for n in names if not (rel == "." and n == ".syncd-folder"))
        if kept:
            found["" if rel == "." else rel] = kept
    return dict(sorted(found.items()))


def seed_emulator(data_dir: Path, source: Path, settings: Settings, prefix: str) -> int:
    """Store every file under ``source`` as an uploaded version in the emulator data at
    ``data_dir``; return how many."""
    state = EmulatorState(
        EmulatorOptions(
            data_dir=data_dir, key_id=settings.key_id, key=settings.key, buckets=(settings.bucket,)
        )
    )
    bucket = state.buckets.by_name(settings.bucket)
    assert bucket is not None
    count = 0
    try:
        for rel_dir, names in _files_by_dir(source).items():
            writer = state.blobs.writer()
            slices: list[tuple[str, int, int, str, int]] = []
            offset = 0
            for name in names:
                path = source / rel_dir / name
                data = path.read_bytes()
                writer.write(data)
                mtime_ms = path.stat().st_mtime_ns // 1_000_000
                rel = f"{rel_dir}/{name}" if rel_dir else name
                slices.append((rel, offset, len(data), hashlib.sha1(data).hexdigest(), mtime_ms))
                offset += len(data)
            blob = writer.commit()
            for rel, start, size, sha1, mtime_ms in slices:
                state.versions.add(
                    bucket_id=bucket.bucket_id,
                    name=prefix + rel,
                    action=UPLOAD,
                    size=size,
                    sha1=sha1,
                    content_type=CONTENT_TYPE,
                    info={"src_last_modified_millis": str(mtime_ms)},
                    is_large=False,
                    now_ms=state.now_ms(),
                    segments=[Segment(blob=blob, offset=start, length=size)] if size else [],
                )
                count += 1
    finally:
        state.db.close()
    return count
