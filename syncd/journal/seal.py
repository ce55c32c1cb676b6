"""The clean-close seal: proof that nothing has written to the journal since syncd
last closed it cleanly, so a one-shot run may skip ``PRAGMA quick_check`` at open.

Imports nothing from syncd. ``quick_check`` reads every page of the journal (0.1-0.25 s
at 100,000 files, growing with the file); it protects against damage done while no
syncd had the file open: a torn write, a truncation, another program, a bad restore.
Everything syncd itself writes goes through SQLite transactions, so a file that was
sound when opened is sound when closed. The seal carries that forward:

* After a clean close (no database error in the session, the WAL checkpointed into the
  file and removed or empty), ``record`` writes ``<journal>-seal`` beside it: the
  file's device, inode, size, mtime, ctime and first 100 bytes (SQLite's header), and
  when ``quick_check`` last ran. It is written to a temporary name, fsynced and renamed.
* ``holds`` is true only when all of that is unchanged, no WAL with content is
  waiting, the last ``quick_check`` is younger than ``MAX_AGE_MS``, and the seal was
  written at a later file-clock tick than the journal's last change. Any write to the
  file moves its ctime, which no program can set back; the tick rule (git's "racily
  clean" index entries) makes sure a write in the same coarse tick as the seal cannot
  hide behind an equal timestamp.
* An unclean stop leaves a WAL with content, or a checkpoint that moved the file's
  times: either fails the seal, so the next open runs the full check. Anything that
  cannot be read or parsed also fails it. A lost or stale seal costs one full check,
  never a missed damage.

Only one-shot runs (``sync-now``) trust the seal; the daemon's start, ``doctor`` and
every other command run the full check as before.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from dataclasses import dataclass
from pathlib import Path

SUFFIX = "-seal"
HEADER_BYTES = 100  # the SQLite database header
MAX_AGE_MS = 24 * 3600 * 1000  # a full quick_check at least once a day regardless
TICK_TRIES = 5
TICK_WAIT_S = 0.004  # a kernel tick at HZ=250; file times use the coarse clock


@dataclass(frozen=True, slots=True)
class Seal:
    """What the journal file looked like right after a clean close."""

    dev: int
    inode: int
    size: int
    mtime_ns: int
    ctime_ns: int
    header: str  # sha1 of the first HEADER_BYTES bytes
    checked_ms: int  # when quick_check last passed on this file (ms UTC)
    written_ns: int  # the seal file's own mtime: the file clock when it was written


def seal_path(journal: Path) -> Path:
    """Where the seal of ``journal`` lives."""
    return journal.with_name(journal.name + SUFFIX)


def _identity(journal: Path) -> tuple[int, int, int, int, int, str]:
    with journal.open("rb") as f:
        st = os.fstat(f.fileno())
        header = hashlib.sha1(f.read(HEADER_BYTES), usedforsecurity=False).hexdigest()
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns, st.st_ctime_ns, header)


def _wal_is_empty(journal: Path) -> bool:
    try:
        return os.stat(journal.with_name(journal.name + "-wal")).st_size == 0
    except FileNotFoundError:
        return True


def read(journal: Path) -> Seal | None:
    """The seal of ``journal``; None when there is none or it cannot be read."""
    path = seal_path(journal)
    try:
        with path.open("rb") as f:
            written_ns = os.fstat(f.fileno()).st_mtime_ns
            raw = json.loads(f.read(4096))
        return Seal(
            dev=int(raw["dev"]),
            inode=int(raw["inode"]),
            size=int(raw["size"]),
            mtime_ns=int(raw["mtime_ns"]),
            ctime_ns=int(raw["ctime_ns"]),
            header=str(raw["header"]),
            checked_ms=int(raw["checked_ms"]),
            written_ns=written_ns,
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def holds(journal: Path, seal: Seal | None, *, now_ms: int) -> bool:
    """True when ``journal`` is byte for byte what ``seal`` recorded and the last full
    check is recent: its ``quick_check`` may be skipped."""
    if seal is None or not 0 <= now_ms - seal.checked_ms < MAX_AGE_MS:
        return False
    if seal.written_ns <= max(seal.mtime_ns, seal.ctime_ns):
        return False  # racily clean: sealed in the tick of the last change
    try:
        found = _identity(journal)
    except OSError:
        return False
    recorded = (seal.dev, seal.inode, seal.size, seal.mtime_ns, seal.ctime_ns, seal.header)
    return found == recorded and _wal_is_empty(journal)


def record(journal: Path, *, checked_ms: int) -> bool:
    """Seal ``journal`` after a clean close; False (and no seal) when its WAL still
    holds frames (another connection is open) or it cannot be read or written."""
    path = seal_path(journal)
    tmp = path.with_name(path.name + ".new")
    try:
        if not _wal_is_empty(journal):
            discard(journal)
            return False
        dev, inode, size, mtime_ns, ctime_ns, header = _identity(journal)
        body = {
            "dev": dev,
            "inode": inode,
            "size": size,
            "mtime_ns": mtime_ns,
            "ctime_ns": ctime_ns,
            "header": header,
            "checked_ms": checked_ms,
        }
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            os.write(fd, json.dumps(body).encode())
            _past_tick(fd, max(mtime_ns, ctime_ns))
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except OSError:
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)
        discard(journal)
        return False
    return True


def _past_tick(fd: int, last_change_ns: int) -> None:
    """Touch the seal until its mtime is a later tick than the journal's last change
    (usually at once: closing the journal takes longer than a tick)."""
    for _ in range(TICK_TRIES):
        if os.fstat(fd).st_mtime_ns > last_change_ns:
            return
        time.sleep(TICK_WAIT_S)
        os.utime(fd)


def discard(journal: Path) -> None:
    """Remove the seal of ``journal`` (the next trusting open runs the full check)."""
    with contextlib.suppress(OSError):
        seal_path(journal).unlink(missing_ok=True)
