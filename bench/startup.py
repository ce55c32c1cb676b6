"""Start-up time of ``syncd --version`` and ``syncd status``: best and median of N runs.

Usage: python bench/startup.py [--runs 10] [--config FILE]

Without ``--config`` it makes a small demo (``syncd quickstart`` into a temporary
directory: a config, a journal, three files on the embedded emulator) and times
``status`` on it. Prints wall time and the child's CPU (user+sys) per command, then the
modules ``status`` spends most of its imports in (``python -X importtime``). Wall time on
a shared machine is noisy: compare the CPU column, and bare ``python -c pass``.
Not part of the test run; nothing here asserts a time.
"""

from __future__ import annotations

import argparse
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SCRIPT = Path(sys.executable).with_name("syncd")
SYNCD = [str(SCRIPT)] if SCRIPT.exists() else [sys.executable, "-m", "syncd"]


def timed(argv: list[str], runs: int) -> tuple[list[float], list[float]]:
    """Wall and CPU seconds of ``runs`` runs of ``argv``, each sorted."""
    walls, cpus = [], []
    for _ in range(runs):
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        start = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
        walls.append(time.perf_counter() - start)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return sorted(walls), sorted(cpus)


def top_imports(argv: list[str], count: int) -> list[str]:
    """The ``count`` imports with the largest cumulative time in one ``-X importtime`` run."""
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "syncd", *argv],
        capture_output=True,
        text=True,
        check=False,
    )
    rows = re.findall(r"import time:\s+(\d+) \|\s+(\d+) \|(.*)", proc.stderr)
    ranked = sorted(rows, key=lambda r: int(r[1]), reverse=True)[:count]
    return [f"{int(s) / 1000:7.1f} {int(c) / 1000:7.1f}  {name}" for s, c, name in ranked]


def main() -> None:
    """Time each command and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--config", type=Path)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config = args.config
        if config is None:
            demo = Path(tmp) / "demo"
            quickstart = [*SYNCD, "quickstart", "--dir", str(demo)]
            subprocess.run(quickstart, capture_output=True, check=True)
            config = demo / "syncd.toml"
        cases = {
            "python -c pass": [sys.executable, "-c", "pass"],
            "syncd --version": [*SYNCD, "--version"],
            "syncd status": [*SYNCD, "status", "--config", str(config)],
            "syncd status --json": [*SYNCD, "status", "--json", "--config", str(config)],
        }
        print(f"{args.runs} runs each; ms (best / median)")
        for name, argv in cases.items():
            walls, cpus = timed(argv, args.runs)
            mid = len(walls) // 2
            print(
                f"  {name:20s} wall {walls[0] * 1e3:6.1f} / {walls[mid] * 1e3:6.1f}"
                f"   cpu {cpus[0] * 1e3:6.1f} / {cpus[mid] * 1e3:6.1f}"
            )
        print("syncd status: top imports (self ms, cumulative ms)")
        for line in top_imports(["status", "--config", str(config)], 15):
            print("  " + line)


if __name__ == "__main__":
    main()
