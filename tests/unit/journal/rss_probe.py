"""Measure the journal's memory and speed at scale; run as a script by test_scale.py.

Usage: python rss_probe.py JOURNAL_PATH ROWS HINTS. Builds the index of ROWS entries in
two halves, iterates it after each half, records HINTS hints in batches of 1,000 (new
paths, then the same paths again to coalesce), and prints one JSON object: current
RSS after each iteration, peak RSS, and the rates measured (rates are for the report;
tests never assert on wall time).
"""

from __future__ import annotations

import json
import resource
import sys
import time
from collections.abc import Iterator
from pathlib import Path

from syncd.clock import SystemClock
from syncd.domain import B2Name, ChangeKind, IndexEntry, LocalChange, RelPath
from syncd.journal import Journal

CHUNK = 5_000
BATCH = 1_000


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm", encoding="ascii") as statm:
        return int(statm.read().split()[1]) * resource.getpagesize()


def rel_path(i: int) -> str:
    """The i-th synthetic path: 997 directories of 13 subdirectories."""
    return f"d{i % 997:03d}/sub{i % 13}/file-{i:07d}.dat"


def entries(start: int, stop: int) -> Iterator[list[IndexEntry]]:
    """Index entries for paths ``start..stop``, a chunk at a time (never all at once)."""
    for low in range(start, stop, CHUNK):
        yield [
            IndexEntry(
                folder="bulk",
                rel_path=RelPath(rel_path(i)),
                b2_name=B2Name(f"backup/{rel_path(i)}"),
                dev=2049,
                inode=1_000_000 + i,
                size=i * 17,
                mtime_ns=1_700_000_000_000_000_000 + i,
                ctime_ns=1_700_000_000_000_000_000 + i,
                sha1=f"{i:040x}",
                file_id=f"4_z27c88f1d182b150646ff0b16_f1{i:015d}_d20231114_m221320_c004_v0402012",
                upload_timestamp_ms=1_700_000_000_000 + i,
            )
            for i in range(low, min(stop, low + CHUNK))
        ]


def hint_batch(start: int, stop: int, now_ms: int) -> list[LocalChange]:
    """Hints for the paths ``start..stop``, as a watcher or rescan would send them."""
    return [
        LocalChange(
            folder="bulk",
            rel_path=RelPath(rel_path(i)),
            kind=ChangeKind.CHANGED,
            observed_ms=now_ms,
        )
        for i in range(start, stop)
    ]


def main() -> None:
    """Run the measurements and print them as JSON."""
    path, rows, hints = Path(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
    clock = SystemClock()
    out: dict[str, float] = {"rows": rows}
    with Journal.open(path, clock=clock) as journal:
        half = rows // 2
        for name, (start, stop) in (("a", (0, half)), ("b", (half, rows))):
            began = time.perf_counter()
            for chunk in entries(start, stop):
                journal.put_index(chunk)
            out[f"put_rows_per_s_{name}"] = (stop - start) / (time.perf_counter() - began)
            began = time.perf_counter()
            seen = sum(1 for _ in journal.iter_index("bulk"))
            out[f"iter_rows_per_s_{name}"] = seen / (time.perf_counter() - began)
            assert seen == stop, (seen, stop)
            out[f"rss_after_{name}"] = rss_bytes()
        for name in ("new", "coalesce"):
            began = time.perf_counter()
            for low in range(0, hints, BATCH):
                journal.record(
                    hint_batch(low, min(hints, low + BATCH), clock.now_ms()),
                    settle_ms=2_000,
                    delete_hold_ms=10_000,
                    max_deferral_ms=60_000,
                )
            out[f"record_{name}_hints_per_s"] = hints / (time.perf_counter() - began)
        assert journal.pending_count("bulk") == hints
        out["rss_after_record"] = rss_bytes()
    out["peak_rss"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    out["journal_bytes"] = path.stat().st_size
    print(json.dumps(out))


if __name__ == "__main__":
    main()
