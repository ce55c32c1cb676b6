"""Scale: the journal's memory does not grow with the number of files.

Measured in a subprocess (``rss_probe.py``) so the test runner's own memory does not
blur the figures. No test asserts on wall time; rates are printed for the record. Both
run on demand only (``pytest -m soak``): building 100k rows takes ~20 s, 1M ~30 min.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from syncd.journal.db import CACHE_KIB

PROBE = Path(__file__).with_name("rss_probe.py")
REPO = Path(__file__).resolve().parents[3]
MIB = 1024 * 1024

# Between the two measurements (after iterating 50k rows, then 100k rows) only SQLite's
# page cache may grow: at most CACHE_KIB (8 MiB) for the one connection a sequential
# caller uses, and the 50k-row file (~20 MB) already overflows it. 4 MiB more covers
# allocator slack. A leak of the smallest per-row cost (an IndexEntry with its strings,
# ~600 B) over the 150k extra rows iterated would be ~90 MB: far above the bound.
GROWTH_BOUND = CACHE_KIB * 1024 + 4 * MIB
BUDGET = 256 * MIB  # reliability.md §4 and G1: RSS at 1M files


def run_probe(tmp_path: Path, rows: int, hints: int, timeout_s: float) -> dict[str, float]:
    """Run the probe on a fresh journal and return its figures."""
    proc = subprocess.run(
        [sys.executable, str(PROBE), str(tmp_path / "journal.sqlite3"), str(rows), str(hints)],
        capture_output=True,
        text=True,
        timeout=timeout_s,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    figures: dict[str, float] = json.loads(proc.stdout)
    print(json.dumps(figures, indent=1))
    return figures


@pytest.mark.soak
def test_memory_stays_flat_at_100k_rows(tmp_path):
    """Doubling the index to 100k rows and iterating it adds less than one page cache."""
    figures = run_probe(tmp_path, rows=100_000, hints=10_000, timeout_s=100)
    assert figures["rss_after_b"] - figures["rss_after_a"] < GROWTH_BOUND
    assert figures["rss_after_record"] - figures["rss_after_a"] < GROWTH_BOUND


@pytest.mark.soak
@pytest.mark.timeout(1_800)
def test_one_million_rows_fit_the_memory_budget(tmp_path):
    """1M index rows built, iterated twice, plus 100k hints recorded, within 256 MiB RSS."""
    figures = run_probe(tmp_path, rows=1_000_000, hints=100_000, timeout_s=1_800)
    peak = max(figures["peak_rss"], figures["rss_after_b"], figures["rss_after_record"])
    assert peak <= BUDGET
    assert figures["rss_after_b"] - figures["rss_after_a"] < GROWTH_BOUND
