"""The daemon's live-state file (``daemon.json`` in the state dir): what only the running
process knows (its pid, since when it runs, what it sent, why its pool is paused),
rewritten every tick so that ``syncd status`` can show it without asking the daemon.

Imports ``syncd.config`` and the standard library only (``status`` must start fast).
The file is replaced atomically (write, fsync-free rename: losing it costs nothing, the
next tick writes it again) and removed on a clean stop. A file whose pid is gone or
that was not rewritten for five ticks means the daemon is not running.
"""

from __future__ import annotations

import contextlib
import json
import os
from dataclasses import asdict, dataclass, field
from pathlib import Path

LIVE_NAME = "daemon.json"
TICK_S = 2.0  # how often the daemon rewrites the file
STALE_TICKS = 5  # a daemon whose file is older than this many ticks is not running


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderFacts:
    """What the daemon knows of one folder beyond the journal (0: not yet)."""

    last_rescan_ms: int = 0  # the last full local rescan
    rescan_hints: int = 0  # changes it recorded
    watched_dirs: int = 0  # inotify watches in place (last coverage check)
    dirs: int = 0  # directories in the folder (last coverage check; 0: not measured)


@dataclass(frozen=True, slots=True, kw_only=True)
class LiveState:
    """One snapshot of the running daemon."""

    pid: int
    started_ms: int
    updated_ms: int
    uploaded_files: int = 0  # since the daemon started
    uploaded_bytes: int = 0
    failed_jobs: int = 0
    max_upload_bytes_per_s: int | None = None  # the limits in force now (None: none)
    max_download_bytes_per_s: int | None = None
    bandwidth_limit: str = ""  # [b2] bandwidth_limit as configured ("": none)
    pool_paused: str | None = None  # why the pool is paused (a full disk, a cap)
    lost_roots: tuple[str, ...] = ()
    errors_by_class: dict[str, int] = field(default_factory=dict)
    b2_calls_by_class: dict[str, int] = field(default_factory=dict)  # this process's calls
    folders: dict[str, FolderFacts] = field(default_factory=dict)


def write_live(path: Path, state: LiveState) -> None:
    """Replace the live-state file with ``state`` (atomically)."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(asdict(state), sort_keys=True), encoding="utf-8")
    tmp.chmod(0o600)
    os.replace(tmp, path)


def remove_live(path: Path) -> None:
    """Remove the file (a clean stop)."""
    path.unlink(missing_ok=True)


def read_live(path: Path, *, now_ms: int) -> LiveState | None:
    """The snapshot of a daemon that runs now, or None (no file, a dead pid, stale,
    or unreadable)."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
        state = LiveState(
            pid=int(raw["pid"]),
            started_ms=int(raw["started_ms"]),
            updated_ms=int(raw["updated_ms"]),
            uploaded_files=int(raw.get("uploaded_files", 0)),
            uploaded_bytes=int(raw.get("uploaded_bytes", 0)),
            failed_jobs=int(raw.get("failed_jobs", 0)),
            max_upload_bytes_per_s=raw.get("max_upload_bytes_per_s"),
            max_download_bytes_per_s=raw.get("max_download_bytes_per_s"),
            bandwidth_limit=str(raw.get("bandwidth_limit", "")),
            pool_paused=raw.get("pool_paused"),
            lost_roots=tuple(raw.get("lost_roots", ())),
            errors_by_class={str(k): int(v) for k, v in raw.get("errors_by_class", {}).items()},
            b2_calls_by_class={str(k): int(v) for k, v in raw.get("b2_calls_by_class", {}).items()},
            folders={
                str(k): FolderFacts(**{f: int(x) for f, x in v.items()})
                for k, v in raw.get("folders", {}).items()
            },
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None
    if now_ms - state.updated_ms > STALE_TICKS * TICK_S * 1000 or not _alive(state.pid):
        return None
    return state


def _alive(pid: int) -> bool:
    if pid <= 0:
        return False
    with contextlib.suppress(PermissionError):  # alive, owned by another user
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return False
    return True
