"""Compare syncd with the ``b2`` CLI and rclone on one B2 emulator, and print ratios.

Run from the repository root::

    python bench/compare.py [--quick] [--json OUT] [--tools syncd,b2,rclone-deb,rclone-pip]

One ``syncd emulator --data DIR`` process (persistent storage, like a real server, in its
own process so it is never the measured tool's bottleneck) serves every tool. For each
generated tree (fixed seed, fixed mtimes) and each tool, into its own prefix, three steps
are timed as separate processes, the way cron would run them:

1. initial upload into an empty prefix (and, for syncd, an empty state directory);
2. a re-run with nothing changed (the cost of "nothing to do");
3. a re-run after 1% of the files got new bytes and another 1% a new mtime only.

Each step records wall time, the tool's CPU time, the emulator's CPU time, the B2
transactions per class (A/B/C) and per call from the emulator's counters (reset before
every step) and the bytes uploaded. After every step the bucket is listed and compared with
the tree; a mismatch is printed loudly and makes the exit code 1. Each step is repeated
``--repeat`` times (3 by default, 1 with ``--quick``) on a freshly generated tree and a
fresh prefix; the tables show the median. Times are wall clock including process start-up.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.mirror import check
from bench.report import (
    STEPS,
    Sample,
    StepResult,
    calls_table,
    ratio_summary,
    ratios_json,
    scenario_table,
)
from bench.server import Emulator, Settings
from bench.tools import Tool, all_tools
from bench.trees import KIB, MIB, TreeSpec, generate, manifest, mutate, total_bytes

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-compare"
CHANGED_SHARE = 0.01
CLASS_BC = {
    "b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info",
    "b2_authorize_account", "b2_copy_file", "b2_copy_part", "b2_create_bucket",
    "b2_list_buckets", "b2_list_file_names", "b2_list_file_versions", "b2_list_parts",
    "b2_list_unfinished_large_files", "b2_get_download_authorization", "b2_update_bucket",
}  # fmt: skip


@dataclass(frozen=True, slots=True)
class Plan:
    """The trees, the large-file part size and the number of repetitions."""

    scenarios: tuple[TreeSpec, ...]
    part_size: int
    min_part_size: int
    repeat: int


FULL = Plan(
    scenarios=(
        TreeSpec("small", 2000, 1 * KIB, 16 * KIB, 50),
        TreeSpec("medium", 20, 4 * MIB, 4 * MIB, 4),
        TreeSpec("large", 2, 64 * MIB, 64 * MIB, 1),
    ),
    part_size=16 * MIB,
    min_part_size=5_000_000,
    repeat=3,
)
QUICK = Plan(
    scenarios=(
        TreeSpec("small", 100, 1 * KIB, 16 * KIB, 5),
        TreeSpec("medium", 4, 1 * MIB, 1 * MIB, 2),
        TreeSpec("large", 2, 11 * MIB, 11 * MIB, 1),
    ),
    part_size=5 * MIB,
    min_part_size=5_000_000,
    repeat=1,
)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small trees, one repetition")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all numbers here")
    parser.add_argument("--tools", help="comma list of syncd,b2,rclone-deb,rclone-pip")
    parser.add_argument("--scenarios", help="comma list of small,medium,large")
    parser.add_argument("--repeat", type=int, help="runs per step (default 3; 1 with --quick)")
    parser.add_argument("--transfers", type=int, default=4, help="parallel transfers, every tool")
    parser.add_argument("--seed", type=int, default=20240101)
    parser.add_argument(
        "--rclone-fast-list",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="rclone lists recursively in one call (fewer class C calls; default on)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    return parser.parse_args(argv)


class Bench:
    """One benchmark run: an emulator, the tools, and the results gathered so far."""

    def __init__(self, work: Path, plan: Plan, tools: list[Tool], emulator: Emulator) -> None:
        self.work = work
        self.plan = plan
        self.tools = tools
        self.emulator = emulator
        self.results: dict[str, dict[str, dict[str, StepResult]]] = {}
        self.failures: list[str] = []
        self.notes: set[str] = set()
        self.mutated: dict[str, tuple[int, int]] = {}
        self.tree_bytes: dict[str, int] = {}
        self.last_output = ""

    def run_all(self, seed: int) -> None:
        """Every scenario, repetition and tool; the tool order rotates per repetition."""
        for spec in self.plan.scenarios:
            self.results[spec.name] = {t.slug: {} for t in self.tools}
            for rep in range(self.plan.repeat):
                shift = rep % len(self.tools)
                for tool in self.tools[shift:] + self.tools[:shift]:
                    self.run_tool(spec, rep, tool, seed)

    def run_tool(self, spec: TreeSpec, rep: int, tool: Tool, seed: int) -> None:
        """The three steps of one tool on a fresh tree and a fresh prefix."""
        source = self.work / "src" / spec.name
        shutil.rmtree(source, ignore_errors=True)
        names = generate(spec, source, seed)
        os.sync()
        local = manifest(source)
        self.tree_bytes[spec.name] = total_bytes(local)
        tool_dir = self.work / "tools" / tool.slug
        tool_dir.mkdir(parents=True, exist_ok=True)
        tool.new_target(tool_dir)
        prefix = f"{tool.slug}/{spec.name}/r{rep + 1}/"
        for step in STEPS:
            if step == "changed":
                self.mutated[spec.name] = mutate(source, names, CHANGED_SHARE, seed + rep)
                os.sync()
                local = manifest(source)
            sample = self.measure(tool, source, prefix, tool_dir)
            problems, notes = check(
                local, self.emulator.list_files(prefix), prefix, strict=tool.slug == "syncd"
            )
            sample.problems = problems
            where = f"{spec.name} r{rep + 1} {tool.label} {step}"
            if sample.exit_code != 0:
                problems.insert(0, f"exit code {sample.exit_code}")
            for problem in problems:
                self.failures.append(f"{where}: {problem}")
                print(f"!!! MISMATCH {where}: {problem}", file=sys.stderr, flush=True)
            if sample.exit_code != 0:
                print(f"!!! output of {where}:\n{self.last_output}", file=sys.stderr, flush=True)
            self.notes.update(f"{tool.label}: {n.split(':')[0]}" for n in notes)
            by_tool = self.results[spec.name][tool.slug]
            result = by_tool.setdefault(step, StepResult(tool.slug, step, len(local)))
            result.samples.append(sample)
            status = "ok" if not problems else "WRONG"
            print(
                f"[{where}] {sample.seconds:.2f} s, C={sample.classes.get('C', 0)}, {status}",
                file=sys.stderr,
                flush=True,
            )

    def measure(self, tool: Tool, source: Path, prefix: str, tool_dir: Path) -> Sample:
        """One timed run with the emulator's counters reset just before it."""
        self.emulator.reset_stats()
        server_cpu = self.emulator.cpu_seconds()
        run = tool.run(source, prefix, tool_dir)
        server_cpu = self.emulator.cpu_seconds() - server_cpu
        stats = self.emulator.stats()
        self.last_output = run.output_tail
        return Sample(
            seconds=run.seconds,
            cpu_seconds=run.cpu_seconds,
            server_cpu_seconds=server_cpu,
            exit_code=run.exit_code,
            classes={k: int(v) for k, v in stats["classes"].items()},
            calls={k: int(v) for k, v in stats["calls"].items()},
            bytes_in=int(stats["bytesIn"]),
        )


def _load() -> str:
    try:
        return "/".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


def header(plan: Plan, settings: Settings, tools: list[Tool]) -> list[str]:
    """Versions, machine and the like-for-like settings."""
    lines = [
        "syncd vs b2 CLI vs rclone on one local B2 emulator (persistent storage, own process)",
        f"machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}, load average {_load()} at the end "
        "(other work on the machine makes times noisy; tools are interleaved per repetition)",
        "versions:",
        *(f"  {t.label:<26} {t.version}" for t in tools),
        f"settings: {settings.transfers} parallel transfers for every tool, progress off; "
        f"large files in parts of {plan.part_size} B "
        f"(emulator recommendedPartSize={plan.part_size}, absoluteMinimumPartSize="
        f"{plan.min_part_size})",
        *(f"  {t.label:<26} {t.settings_note(settings)}" for t in tools),
        f"each step: median of {plan.repeat} run(s), each on a fresh tree and prefix; wall time "
        "includes process start-up; files/s = files in the tree / s; MiB/s = MiB uploaded / s;",
        "A/B/C = B2 transactions per class counted by the emulator (C is the expensive one); "
        "CPU s = the tool's CPU; srv CPU = the emulator's CPU.",
        "ratios are syncd / tool: below 1.00 syncd is faster (or makes fewer class C calls).",
        "",
    ]
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every run exited 0 and its bucket matched the tree."""
    args = parse_args(argv)
    base = QUICK if args.quick else FULL
    scenarios = base.scenarios
    if args.scenarios:
        wanted = set(args.scenarios.split(","))
        scenarios = tuple(s for s in scenarios if s.name in wanted)
    repeat = args.repeat or base.repeat
    plan = Plan(scenarios, base.part_size, base.min_part_size, repeat)
    settings = Settings(KEY_ID, KEY, BUCKET, args.transfers, plan.part_size, args.rclone_fast_list)
    tools = all_tools(settings)
    if args.tools:
        wanted = args.tools.split(",")
        unknown = set(wanted) - {t.slug for t in tools}
        if unknown:
            print(f"unknown or missing tools: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        tools = [t for t in tools if t.slug in wanted]
    work = Path(tempfile.mkdtemp(prefix="syncd-compare-"))
    emulator = Emulator(work / "emulator", settings, plan.min_part_size)
    try:
        for tool in tools:
            tool.prepare(work / "tools" / tool.slug, emulator)
        bench = Bench(work, plan, tools, emulator)
        bench.run_all(args.seed)
    finally:
        emulator.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    labels = {t.slug: t.label for t in tools}
    out = header(plan, settings, tools)
    for spec in plan.scenarios:
        modified, touched = bench.mutated.get(spec.name, (0, 0))
        mib = bench.tree_bytes.get(spec.name, 0) / MIB
        title = (
            f"Scenario {spec.name}: {spec.describe()} ({mib:.1f} MiB); "
            f"step 3 changes {modified} file(s) and touches {touched}"
        )
        out.append(scenario_table(title, bench.results[spec.name], labels))
        out.append(calls_table(bench.results[spec.name], labels, CLASS_BC))
        out.append("")
    out.append(ratio_summary(bench.results, labels))
    if bench.notes:
        out.append("")
        out.append("notes (not failures): " + "; ".join(sorted(bench.notes)))
    out.append("")
    if bench.failures:
        out.append(
            f"!!! {len(bench.failures)} WRONG RESULT(S) - a fast wrong result does not count:"
        )
        out.extend(f"!!!   {f}" for f in bench.failures)
    else:
        out.append("verified: after every step of every tool the bucket mirrored the tree")
    print("\n".join(out))
    if args.json:
        write_json(args.json, plan, settings, tools, bench)
    return 1 if bench.failures else 0


def write_json(path: Path, plan: Plan, settings: Settings, tools: list[Tool], bench: Bench) -> None:
    """All numbers, every run."""
    data: dict[str, Any] = {
        "settings": asdict(settings) | {"key": "***"},
        "plan": {
            "part_size": plan.part_size,
            "min_part_size": plan.min_part_size,
            "repeat": plan.repeat,
        },
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version()},
        "tools": {
            t.slug: {"label": t.label, "version": t.version, "settings": t.settings_note(settings)}
            for t in tools
        },
        "scenarios": {},
        "failures": bench.failures,
        "notes": sorted(bench.notes),
    }
    for spec in plan.scenarios:
        results = bench.results[spec.name]
        data["scenarios"][spec.name] = {
            "spec": asdict(spec),
            "bytes": bench.tree_bytes.get(spec.name),
            "mutated": bench.mutated.get(spec.name),
            "results": [r.as_json() for steps in results.values() for r in steps.values()],
            "ratios_syncd_over_tool": ratios_json(results),
        }
    path.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    sys.exit(main())
