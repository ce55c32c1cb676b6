"""Compare syncd with the ``b2`` CLI and rclone on one B2 emulator, and print ratios.

Run from the repository root::

    python bench/compare.py [--quick] [--json OUT] [--tools syncd,b2,rclone-deb,rclone-pip]
    python bench/compare.py --tools syncd-s3,rclone-deb-s3   # over the S3-compatible API

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

The scenarios (``bench/scenarios.py``): small, medium and large trees; ``lat30`` (30 ms
injected by the emulator on every B2 call a tool makes); ``many`` (100,000 files, read
against an ``os.scandir`` + ``stat`` walk of the tree); ``huge`` (one 2 GiB file, read
against this machine's ``hashlib.sha1`` rate); and ``daemon`` (``syncd run`` only:
write-and-close to visible on B2, and versions made by a log appended every 100 ms; see
``bench/daemon.py``). A chart of the run goes to ``--chart`` (``bench/results/chart.png``).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chart import draw
from bench.daemon import DaemonResult, run_daemon
from bench.mirror import check
from bench.report import (
    STEPS,
    Sample,
    StepResult,
    calls_table,
    header,
    ratio_summary,
    ratios_json,
    scenario_table,
)
from bench.scenarios import (
    FULL,
    QUICK,
    Plan,
    Scenario,
    Walk,
    latency_rule,
    sha1_mib_per_s,
    stat_walk,
)
from bench.server import Emulator, Settings
from bench.tools import Syncd, Tool, all_tools
from bench.trees import MIB, generate, manifest, mutate, total_bytes

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-compare"
CHANGED_SHARE = 0.01
CLASS_BC = {
    "b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info",
    "b2_authorize_account", "b2_copy_file", "b2_copy_part", "b2_create_bucket",
    "b2_list_buckets", "b2_list_file_names", "b2_list_file_versions", "b2_list_parts",
    "b2_list_unfinished_large_files", "b2_get_download_authorization", "b2_update_bucket",
}  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--quick", action="store_true", help="small trees, one repetition")
    parser.add_argument("--json", type=Path, metavar="OUT", help="write all numbers here")
    parser.add_argument(
        "--tools", help="comma list of syncd,b2,rclone-deb,rclone-pip,syncd-s3,rclone-deb-s3"
    )
    parser.add_argument(
        "--scenarios", help="comma list of small,medium,large,lat30,many,huge,daemon (default all)"
    )
    parser.add_argument("--many-files", type=int, help="files in the 'many' tree")
    parser.add_argument("--huge-mib", type=int, help="size of the 'huge' file in MiB")
    parser.add_argument("--daemon-files", type=int, help="files written under syncd run")
    parser.add_argument("--append-seconds", type=float, help="how long the log is appended to")
    parser.add_argument("--daemon-settle", type=float, default=2.0, help="[sync] settle_s")
    parser.add_argument(
        "--daemon-idle", type=float, default=10.0, help="seconds the idle daemon's CPU is measured"
    )
    parser.add_argument(
        "--chart", type=Path, default=Path(__file__).resolve().parent / "results" / "chart.png"
    )
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
        self.walks: dict[str, Walk] = {}
        self.labels = {t.slug: t.label for t in tools}

    def run_all(self, seed: int) -> None:
        """Every scenario, repetition and tool; the tool order rotates per repetition."""
        for scenario in self.plan.scenarios:
            self.results[scenario.name] = {t.slug: {} for t in self.tools}
            for rep in range(min(self.plan.repeat, scenario.repeat or self.plan.repeat)):
                shift = rep % len(self.tools)
                for tool in self.tools[shift:] + self.tools[:shift]:
                    self.run_tool(scenario, rep, tool, seed)

    def run_tool(self, scenario: Scenario, rep: int, tool: Tool, seed: int) -> None:
        """The three steps of one tool on a fresh tree and a fresh prefix."""
        spec = scenario.tree
        source = self.work / "src" / spec.name
        shutil.rmtree(source, ignore_errors=True)
        names = generate(spec, source, seed)
        os.sync()
        if scenario.reference == "walk" and spec.name not in self.walks:
            self.walks[spec.name] = stat_walk(source)
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
            sample = self.measure(tool, source, prefix, tool_dir, scenario.latency_ms)
            problems, notes = check(
                local,
                self.emulator.list_files(prefix),
                prefix,
                strict=tool.slug.startswith("syncd"),
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

    def measure(
        self, tool: Tool, source: Path, prefix: str, tool_dir: Path, latency_ms: int
    ) -> Sample:
        """One timed run with the emulator's counters reset (and latency set) just before it."""
        self.emulator.reset_stats()
        self.emulator.set_faults(latency_rule(latency_ms))
        server_cpu = self.emulator.cpu_seconds()
        try:
            run = tool.run(source, prefix, tool_dir)
        finally:
            server_cpu = self.emulator.cpu_seconds() - server_cpu
            self.emulator.set_faults([])
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


def choose_plan(args: argparse.Namespace) -> tuple[Plan, bool]:
    """The plan after ``--quick``, ``--scenarios``, ``--repeat`` and the size options; and
    whether the daemon scenarios run."""
    base = QUICK if args.quick else FULL
    wanted = set(args.scenarios.split(",")) if args.scenarios else None
    scenarios = []
    for chosen in base.scenarios:
        if wanted is not None and chosen.name not in wanted:
            continue
        if wanted is None and args.quick and not chosen.in_quick:
            continue
        scenario = chosen
        if scenario.name == "many" and args.many_files:
            scenario = scenario.resized(count=args.many_files)
        if scenario.name == "huge" and args.huge_mib:
            scenario = scenario.resized(size=args.huge_mib * MIB)
        scenarios.append(scenario)
    plan = replace(
        base,
        scenarios=tuple(scenarios),
        repeat=args.repeat or base.repeat,
        daemon_files=args.daemon_files or base.daemon_files,
        append_seconds=args.append_seconds or base.append_seconds,
    )
    return plan, ("daemon" in wanted) if wanted is not None else not args.quick


def reference_lines(scenario: Scenario, bench: Bench, sha1_rate: float) -> list[str]:
    """The stat-walk floor under the no-change step, and MiB/s against SHA-1 for big files."""
    lines = []
    results = bench.results[scenario.name]
    walk = bench.walks.get(scenario.name)
    mine = results.get("syncd", {}).get("unchanged")
    if walk is not None and scenario.reference == "walk":
        lines.append(
            f"  stat walk (os.scandir + stat, warm cache, best of 3) of {walk.files} files: "
            f"{walk.seconds:.3f} s = {walk.rate():,.0f} files/s: the floor for any no-change pass"
        )
        if mine is not None and mine.samples:
            lines.append(
                f"  syncd no-change re-run: {mine.seconds():.2f} s = "
                f"{mine.seconds() / walk.seconds:.1f} x the stat walk"
                + (f" ({scenario.note})" if scenario.note else "")
            )
    if sha1_rate and scenario.reference == "sha1":
        lines.append(
            f"  this machine's hashlib.sha1 rate (one core, memory): {sha1_rate:,.0f} MiB/s; "
            "initial upload MiB/s and its share of that rate:"
        )
        for slug, steps in results.items():
            first = steps.get("initial")
            if first is None or not first.samples:
                continue
            rate = first.median_of("bytes_in") / MIB / first.seconds()
            lines.append(f"    {bench.labels[slug]:<26} {rate:8.1f} MiB/s  {rate / sha1_rate:5.2f}")
    return lines


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every run exited 0 and its bucket matched the tree."""
    args = parse_args(argv)
    plan, with_daemon = choose_plan(args)
    settings = Settings(KEY_ID, KEY, BUCKET, args.transfers, plan.part_size, args.rclone_fast_list)
    tools = all_tools(settings, with_s3=bool(args.tools))
    if args.tools:
        wanted = args.tools.split(",")
        unknown = set(wanted) - {t.slug for t in tools}
        if unknown:
            print(f"unknown or missing tools: {', '.join(sorted(unknown))}", file=sys.stderr)
            return 2
        tools = [t for t in tools if t.slug in wanted]
    syncd = next((t for t in tools if isinstance(t, Syncd)), None)
    sha1_rate = sha1_mib_per_s() if any(s.reference == "sha1" for s in plan.scenarios) else 0.0
    daemon: DaemonResult | None = None
    work = Path(tempfile.mkdtemp(prefix="syncd-compare-"))
    emulator = Emulator(work / "emulator", settings, plan.min_part_size)
    try:
        for tool in tools:
            tool.prepare(work / "tools" / tool.slug, emulator)
        bench = Bench(work, plan, tools, emulator)
        bench.run_all(args.seed)
        if with_daemon and syncd is not None:
            print("[daemon] syncd run ...", file=sys.stderr, flush=True)
            daemon = run_daemon(
                emulator, syncd, work / "tools" / "syncd-daemon", plan.daemon_files,
                plan.append_seconds, args.daemon_settle, args.daemon_idle,
            )  # fmt: skip
    finally:
        emulator.stop()
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)
    out = header(plan, settings, tools)
    for scenario in plan.scenarios:
        modified, touched = bench.mutated.get(scenario.name, (0, 0))
        mib = bench.tree_bytes.get(scenario.name, 0) / MIB
        title = (
            f"Scenario {scenario.name}: {scenario.describe()} ({mib:.1f} MiB); "
            f"step 3 changes {modified} file(s) and touches {touched}"
        )
        out.append(scenario_table(title, bench.results[scenario.name], bench.labels))
        out.extend(reference_lines(scenario, bench, sha1_rate))
        out.append(calls_table(bench.results[scenario.name], bench.labels, CLASS_BC))
        out.append("")
    if plan.scenarios:
        out.append(ratio_summary(bench.results, bench.labels))
    if daemon is not None:
        out.append("")
        out.extend(daemon.lines(plan.daemon_files, plan.append_seconds))
        bench.failures.extend(f"daemon: {p}" for p in daemon.problems)
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
    if plan.scenarios:
        chart_title = f"syncd vs peers on one local B2 emulator ({os.cpu_count()} CPUs)"
        out.append(draw(args.chart, bench.results, bench.labels, chart_title))
    print("\n".join(out))
    if args.json:
        write_json(args.json, plan, settings, tools, bench, daemon, sha1_rate)
    return 1 if bench.failures else 0


def write_json(
    path: Path,
    plan: Plan,
    settings: Settings,
    tools: list[Tool],
    bench: Bench,
    daemon: DaemonResult | None,
    sha1_rate: float,
) -> None:
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
        "sha1_mib_per_s": sha1_rate or None,
        "daemon": daemon.as_json() if daemon is not None else None,
    }
    for scenario in plan.scenarios:
        name = scenario.name
        results = bench.results[name]
        walk = bench.walks.get(name)
        data["scenarios"][name] = {
            "spec": asdict(scenario.tree),
            "latency_ms": scenario.latency_ms,
            "stat_walk": asdict(walk) if walk is not None else None,
            "bytes": bench.tree_bytes.get(name),
            "mutated": bench.mutated.get(name),
            "results": [r.as_json() for steps in results.values() for r in steps.values()],
            "ratios_syncd_over_tool": ratios_json(results),
        }
    path.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    sys.exit(main())
