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
``bench/daemon.py``); ``restore-small`` and ``restore-medium`` (``--scenarios restore``:
the tree uploaded once by syncd, then downloaded by every tool into an empty directory and
checked against the source; see ``bench/restore.py``). A chart of the run goes to
``--chart`` (``bench/results/chart.png``).
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import sys
import tempfile
from collections.abc import Callable
from dataclasses import asdict
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.chart import draw
from bench.compare_args import choose_plan, parse_args
from bench.daemon import DaemonResult, run_daemon
from bench.mirror import check
from bench.report import (
    UPLOAD_STEPS,
    Sample,
    StepResult,
    calls_table,
    header,
    ratio_summary,
    ratios_json,
    scenario_table,
)
from bench.restore import Restores
from bench.scenarios import (
    Plan,
    Scenario,
    Walk,
    latency_rule,
    sha1_mib_per_s,
    stat_walk,
)
from bench.server import Emulator, Settings
from bench.tools import RunResult, Syncd, Tool, all_tools
from bench.trees import MIB, generate, manifest, mutate, total_bytes

KEY_ID, KEY, BUCKET = "bench-key-id", "bench-application-key", "bench-compare"
CHANGED_SHARE = 0.01
CLASS_BC = {
    "b2_download_file_by_id", "b2_download_file_by_name", "b2_get_file_info",
    "b2_authorize_account", "b2_copy_file", "b2_copy_part", "b2_create_bucket",
    "b2_list_buckets", "b2_list_file_names", "b2_list_file_versions", "b2_list_parts",
    "b2_list_unfinished_large_files", "b2_get_download_authorization", "b2_update_bucket",
}  # fmt: skip


class Bench:
    """One benchmark run: an emulator, the tools, and the results gathered so far."""

    def __init__(
        self,
        work: Path,
        plan: Plan,
        tools: list[Tool],
        emulator: Emulator,
        uploader: Syncd | None = None,
    ) -> None:
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
        self.restores = Restores(self, uploader) if uploader is not None else None

    def run_all(self, seed: int) -> None:
        """Every scenario, repetition and tool; the tool order rotates per repetition."""
        for scenario in self.plan.scenarios:
            self.results[scenario.name] = {t.slug: {} for t in self.tools}
            for rep in range(min(self.plan.repeat, scenario.repeat or self.plan.repeat)):
                shift = rep % len(self.tools)
                rotated = self.tools[shift:] + self.tools[:shift]
                if scenario.restore:
                    assert self.restores is not None, "a restore scenario needs an uploader"
                    self.restores.run(scenario, rep, rotated, seed)
                    continue
                for tool in rotated:
                    self.run_tool(scenario, rep, tool, seed)

    def run_tool(self, scenario: Scenario, rep: int, tool: Tool, seed: int) -> None:
        """The three upload steps of one tool on a fresh tree and a fresh prefix."""
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
        for step in UPLOAD_STEPS:
            if step == "changed":
                self.mutated[spec.name] = mutate(source, names, CHANGED_SHARE, seed + rep)
                os.sync()
                local = manifest(source)
            sample = self.measure(lambda: tool.run(source, prefix, tool_dir), scenario.latency_ms)
            problems, notes = check(
                local,
                self.emulator.list_files(prefix),
                prefix,
                strict=tool.slug.startswith("syncd"),
            )
            sample.problems = problems
            where = f"{spec.name} r{rep + 1} {tool.label} {step}"
            self.record(spec.name, tool, step, where, sample, notes, len(local))

    def problems(self, where: str, problems: list[str], output: str) -> None:
        """Print and keep ``problems``; ``output`` (a failed tool's) is printed too."""
        for problem in problems:
            self.failures.append(f"{where}: {problem}")
            print(f"!!! MISMATCH {where}: {problem}", file=sys.stderr, flush=True)
        if output:
            print(f"!!! output of {where}:\n{output}", file=sys.stderr, flush=True)

    def record(
        self,
        scenario: str,
        tool: Tool,
        step: str,
        where: str,
        sample: Sample,
        notes: list[str],
        files: int,
    ) -> None:
        """Keep one checked sample (its ``problems`` set) of one step of one tool."""
        if sample.exit_code != 0:
            sample.problems.insert(0, f"exit code {sample.exit_code}")
        self.problems(where, sample.problems, self.last_output if sample.exit_code else "")
        self.notes.update(f"{tool.label}: {n.split(':')[0]}" for n in notes)
        by_tool = self.results[scenario][tool.slug]
        result = by_tool.setdefault(step, StepResult(tool.slug, step, files))
        result.samples.append(sample)
        status = "ok" if not sample.problems else "WRONG"
        print(
            f"[{where}] {sample.seconds:.2f} s, C={sample.classes.get('C', 0)}, {status}",
            file=sys.stderr,
            flush=True,
        )

    def measure(self, run_tool: Callable[[], RunResult], latency_ms: int) -> Sample:
        """One timed run with the emulator's counters reset (and latency set) just before it."""
        self.emulator.reset_stats()
        self.emulator.set_faults(latency_rule(latency_ms))
        server_cpu = self.emulator.cpu_seconds()
        try:
            run = run_tool()
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
            bytes_out=int(stats["bytesOut"]),
        )


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
    args = parse_args(argv, __doc__.split("\n")[0] if __doc__ else "")
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
    uploader = syncd  # uploads the tree every tool restores
    if uploader is None and any(s.restore for s in plan.scenarios):
        uploader = Syncd(settings)
    sha1_rate = sha1_mib_per_s() if any(s.reference == "sha1" for s in plan.scenarios) else 0.0
    daemon: DaemonResult | None = None
    work = Path(tempfile.mkdtemp(prefix="syncd-compare-"))
    emulator = Emulator(work / "emulator", settings, plan.min_part_size)
    try:
        for tool in tools:
            tool.prepare(work / "tools" / tool.slug, emulator)
        if uploader is not None and uploader is not syncd:
            uploader.prepare(work / "tools" / "restore-upload", emulator)
        bench = Bench(work, plan, tools, emulator, uploader)
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
        title = f"Scenario {scenario.name}: {scenario.describe()} ({mib:.1f} MiB)"
        if not scenario.restore:
            title += f"; step 3 changes {modified} file(s) and touches {touched}"
        out.append(scenario_table(title, bench.results[scenario.name], bench.labels))
        out.extend(reference_lines(scenario, bench, sha1_rate))
        if bench.restores is not None:
            out.extend(bench.restores.lines(scenario))
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
        restored = any(s.restore for s in plan.scenarios)
        tail = " and every restored tree the source" if restored else ""
        out.append(f"verified: after every step of every tool the bucket mirrored the tree{tail}")
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
            "upload_s": bench.restores.uploads.get(name) if bench.restores is not None else None,
            "results": [r.as_json() for steps in results.values() for r in steps.values()],
            "ratios_syncd_over_tool": ratios_json(results),
        }
    path.write_text(json.dumps(data, indent=2))


if __name__ == "__main__":
    sys.exit(main())
