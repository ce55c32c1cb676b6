"""Time (and optionally profile) ``syncd sync-now`` on an unchanged tree, repeatedly,
against a tree, journal and emulator data that are built once and kept.

Run from the repository root::

    python bench/nochange.py --files 100000 --work DIR            # build once, then 3 runs
    python bench/nochange.py --files 100000 --work DIR --runs 5
    python bench/nochange.py --files 100000 --work DIR --py-spy    # raw stacks, top frames
    python bench/nochange.py --files 100000 --work DIR --cprofile  # cProfile, top functions

The first call generates the ``many`` tree of ``compare.py`` (``--files`` files of
16-256 B in ``files / 100`` directories, fixed seed and mtimes), starts ``syncd emulator
--data DIR/emulator`` and runs the initial upload (100,000 files: several minutes), then
checks the bucket. Later calls with the same ``--work`` reuse all of it: the emulator
restarts on its stored data and syncd keeps its state directory. Each timed run is one
``syncd sync-now`` process, as in ``compare.py``: wall time, its CPU (user + sys), B2
calls by name, and the stat walk of the tree (``os.scandir`` + ``stat``, warm cache,
best of 3) as the floor.
"""

from __future__ import annotations

import argparse
import collections
import pstats
import shutil
import statistics
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mirror import check
from bench.profile_sync import top_frames
from bench.scenarios import stat_walk
from bench.server import Emulator, Settings
from bench.tools import Syncd, timed_run
from bench.trees import TreeSpec, generate, manifest

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-nochange"
PREFIX = "nochange/"
SEED = 20240101


Seeder = Callable[[Path, Path, Settings, str], int]


def build_once(
    work: Path, files: int, syncd: Syncd, settings: Settings, seed: Seeder | None = None
) -> None:
    """Tree, emulator data and syncd state for ``files`` files, unless already there.

    ``seed(emulator_dir, source, settings, prefix)``, when given, stores the tree in the
    emulator's data before it starts (``bench/seed.py``); the sync-now run that follows
    then adopts every file and must upload none."""
    ready = work / "ready"
    if ready.exists():
        return
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    source = work / "src"
    print(f"generating {files} files ...", flush=True)
    generate(TreeSpec("many", files, 16, 256, max(1, files // 100)), source, SEED)
    if seed is not None:
        print("seeding the emulator's data ...", flush=True)
        seeded = seed(work / "emulator", source, settings, PREFIX)
        print(f"seeded {seeded} versions", flush=True)
    emulator = Emulator(work / "emulator", settings, 5_000_000)
    try:
        syncd.prepare(work, emulator)
        syncd.new_target(work)
        step = "adoption" if seed is not None else "initial upload"
        print(f"{step} ...", flush=True)
        run = syncd.run(source, PREFIX, work)
        print(f"{step}: {run.seconds:.1f} s, {run.cpu_seconds:.1f} s CPU", flush=True)
        if run.exit_code != 0:
            raise SystemExit(f"{step} failed:\n{run.output_tail}")
        if seed is not None and run.summary.get("uploaded_files", 0) != 0:
            raise SystemExit(f"adoption uploaded files: {run.summary}")
        problems, _ = check(manifest(source), emulator.list_files(PREFIX), PREFIX, strict=True)
        if problems:
            raise SystemExit(f"bucket mismatch after the initial upload: {problems[:3]}")
    finally:
        emulator.stop()
    ready.write_text(f"{files}\n")


def profile_argv(args: argparse.Namespace, syncd: Syncd, config: Path, out: Path) -> list[str]:
    """The command line of a profiled run (py-spy or cProfile around sync-now)."""
    if args.py_spy:
        py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
        argv = [py_spy, "record", "--format", "raw", "--rate", str(args.rate), "-o", str(out)]
        return [*argv, "--", *syncd.argv(config)]
    argv = syncd.argv(config)
    return [argv[0], "-m", "cProfile", "-o", str(out), *argv[1:]]


def print_profile(args: argparse.Namespace, out: Path) -> None:
    """The top frames of a profiled run."""
    if args.py_spy:
        print(f"py-spy raw stacks in {out}")
        for frame, samples, percent in top_frames(out.read_text(), args.top):
            print(f"{percent:6.1f}% {samples:8d}  {frame}")
        return
    print(f"cProfile output in {out}")
    pstats.Stats(str(out)).sort_stats("tottime").print_stats(args.top)


def main() -> int:
    """Build once, then time (or profile) no-change runs; 0 when every run verified."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--work", type=Path, required=True, help="kept between calls")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--py-spy", action="store_true", help="profile one run with py-spy")
    parser.add_argument("--cprofile", action="store_true", help="profile one run with cProfile")
    parser.add_argument("--rate", type=int, default=500, help="py-spy samples per second")
    parser.add_argument("--top", type=int, default=25)
    args = parser.parse_args()
    work = args.work.resolve()
    settings = Settings(KEY_ID, KEY, BUCKET, 4, 16 * 1024 * 1024, True)
    syncd = Syncd(settings)
    build_once(work, args.files, syncd, settings)
    source = work / "src"
    syncd.state = work / "syncd-state"
    walk = stat_walk(source)
    print(f"stat walk of {walk.files} files: {walk.seconds:.3f} s ({walk.rate():,.0f} files/s)")
    emulator = Emulator(work / "emulator", settings, 5_000_000)
    ok = True
    try:
        syncd.prepare(work, emulator)
        config = syncd.write_config(source, PREFIX, work)
        if args.py_spy or args.cprofile:
            out = work / ("profile.txt" if args.py_spy else "profile.pstats")
            argv = profile_argv(args, syncd, config, out)
            done = subprocess.run(
                argv, capture_output=True, text=True, env=syncd.env(), cwd=work, check=False
            )
            if done.returncode != 0:
                print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
                return 1
            print_profile(args, out)
            return 0
        walls, cpus = [], []
        for n in range(args.runs):
            emulator.reset_stats()
            run = timed_run(syncd.argv(config), syncd.env(), work)
            calls = collections.Counter({k: int(v) for k, v in emulator.stats()["calls"].items()})
            ok = ok and run.exit_code == 0 and run.summary.get("uploaded_files", 0) == 0
            walls.append(run.seconds)
            cpus.append(run.cpu_seconds)
            print(
                f"run {n + 1}: {run.seconds:.3f} s wall, {run.cpu_seconds:.3f} s CPU, "
                f"exit {run.exit_code}, B2 calls {dict(calls)}",
                flush=True,
            )
            if run.exit_code != 0:
                print(run.output_tail, file=sys.stderr)
        wall, cpu = statistics.median(walls), statistics.median(cpus)
        print(
            f"median of {args.runs}: {wall:.3f} s wall, {cpu:.3f} s CPU, "
            f"{1e6 * wall / walk.files:.1f} us per file; {wall / walk.seconds:.1f} x the stat walk"
        )
    finally:
        emulator.stop()
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
