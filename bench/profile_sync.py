"""Profile ``syncd sync-now`` with py-spy and print the top self-time frames.

Run from the repository root (py-spy needs ptrace rights on the child it starts)::

    python bench/profile_sync.py [--files 2000] [--top 10] [--rate 250]
    python bench/profile_sync.py --huge-mib 512      # one file of 512 MiB instead

Generates the ``small`` tree of ``compare.py`` (``--files`` files of 1-16 KiB in 50
directories, fixed seed), starts one ``syncd emulator --data DIR``, and runs the initial
upload under ``py-spy record --format raw --subprocesses`` (on-CPU samples only;
``--idle`` adds the samples of waiting threads, which shows where they block). The raw
output (collapsed stacks) goes to
``bench/results/profile-<n>[-idle].txt``; the table shows, per frame, the share of samples
in which it was the innermost frame (self time), over all threads. The bucket is
checked afterwards, as in ``compare.py``. ``--huge-mib N`` profiles one file of N MiB
(the ``huge`` scenario) instead of the small tree; ``--emulator`` also records the
emulator process (``-emulator`` next to the client's output) and prints its table.
"""

from __future__ import annotations

import argparse
import collections
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mirror import check
from bench.server import Emulator, Settings
from bench.tools import Syncd
from bench.trees import KIB, MIB, TreeSpec, generate, manifest

RESULTS = Path(__file__).resolve().parent / "results"
KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-profile"


def top_frames(raw: str, top: int) -> list[tuple[str, int, float]]:
    """(frame, samples, percent) of the ``top`` innermost frames of collapsed stacks."""
    counts: collections.Counter[str] = collections.Counter()
    for line in raw.splitlines():
        stack, _, number = line.rpartition(" ")
        if not stack or not number.isdigit():
            continue
        counts[stack.split(";")[-1]] += int(number)
    total = sum(counts.values()) or 1
    return [(frame, n, 100 * n / total) for frame, n in counts.most_common(top)]


def print_table(rows: list[tuple[str, int, float]]) -> None:
    """One row per frame: self share, samples, frame."""
    print(f"{'self %':>7} {'samples':>8}  frame")
    for frame, samples, percent in rows:
        print(f"{percent:6.1f}% {samples:8d}  {frame}")


def main() -> int:
    """Profile one initial upload; 0 when it verified."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--files", type=int, default=2000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--rate", type=int, default=250, help="py-spy samples per second")
    parser.add_argument("--idle", action="store_true", help="also sample waiting threads")
    parser.add_argument(
        "--gil", action="store_true", help="only the thread holding the GIL (Python's own CPU)"
    )
    parser.add_argument("--huge-mib", type=int, help="one file of this many MiB instead")
    parser.add_argument("--emulator", action="store_true", help="also profile the emulator")
    args = parser.parse_args()
    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    settings = Settings(KEY_ID, KEY, BUCKET, 4, 16 * 1024 * 1024, True)
    RESULTS.mkdir(exist_ok=True)
    what = f"huge-{args.huge_mib}" if args.huge_mib else str(args.files)
    suffix = ("-idle" if args.idle else "") + ("-gil" if args.gil else "")
    out = RESULTS / f"profile-{what}{suffix}.txt"
    emu_out = out.with_name(out.stem + "-emulator.txt")
    spec = TreeSpec("small", args.files, 1 * KIB, 16 * KIB, 50)
    if args.huge_mib:
        spec = TreeSpec("huge", 1, args.huge_mib * MIB, args.huge_mib * MIB, 1)
    with tempfile.TemporaryDirectory(prefix="syncd-profile-") as tmp:
        work = Path(tmp)
        source = work / "src"
        generate(spec, source, 20240101)
        emulator = Emulator(work / "emulator", settings, 5_000_000)
        try:
            syncd = Syncd(settings)
            syncd.prepare(work, emulator)
            syncd.new_target(work)
            config = syncd.write_config(source, "profile/", work)
            argv = [py_spy, "record", "--format", "raw", "--rate", str(args.rate)]
            argv += ["--idle"] if args.idle else []
            argv += ["--gil"] if args.gil else []
            argv += ["--subprocesses", "-o", str(out), "--", *syncd.argv(config)]
            server_spy = None
            if args.emulator:
                server_spy = subprocess.Popen(
                    [py_spy, "record", "--format", "raw", "--rate", str(args.rate),
                     "--pid", str(emulator.process.pid), "-o", str(emu_out)],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                )  # fmt: skip
            done = subprocess.run(
                argv, capture_output=True, text=True, env=syncd.env(), cwd=work, check=False
            )
            if server_spy is not None:
                server_spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
                server_spy.wait(timeout=60)
            problems, _ = check(
                manifest(source), emulator.list_files("profile/"), "profile/", strict=True
            )
        finally:
            emulator.stop()
    if done.returncode != 0 or not out.exists():
        print(done.stdout[-2000:], done.stderr[-2000:], file=sys.stderr)
        return 1
    print(f"syncd sync-now, initial upload of {spec.describe()}; raw stacks in {out}")
    print_table(top_frames(out.read_text(), args.top))
    if args.emulator and emu_out.exists():
        print(f"the emulator during that upload; raw stacks in {emu_out}")
        print_table(top_frames(emu_out.read_text(), args.top))
    print("verified" if not problems else f"!!! bucket mismatch: {problems[:3]}")
    return 0 if not problems else 1


if __name__ == "__main__":
    sys.exit(main())
