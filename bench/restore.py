"""The restore scenarios of ``compare.py``: one upload, then every tool downloads it.

Per repetition the tree is generated again (fixed seed, fixed mtimes) and uploaded once,
by syncd, into a fresh prefix ``restore/<tree>/r<n>/``; that upload is checked like any
other step (names, sizes, sha1 and ``src_last_modified_millis``, exactly) but not timed
as a step (the upload scenarios time uploads). Then each tool, in the rotated order,
downloads the prefix into a new empty directory, timed as one process:

* syncd: ``syncd restore FOLDER --to DIR`` (the newest version of every file);
* the b2 CLI: ``b2 sync --threads N b2://bucket/prefix DIR``;
* rclone: ``rclone copy remote:bucket/prefix DIR --transfers N`` (the upload flags).

Every tool downloads the same objects: the same names, sizes, SHA-1s and file info
(the b2 CLI and rclone store the mtime as ``src_last_modified_millis`` just as syncd
does), so the step measures downloading and nothing else, and the tree is uploaded once
instead of once per tool. The restored tree is compared with the source tree: paths,
sizes and sha1 for every tool, and the mtime to the millisecond for syncd (another tool
with another mtime gets a note).
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Protocol

from bench.mirror import check, check_restored
from bench.report import Sample
from bench.scenarios import Scenario
from bench.server import Emulator
from bench.tools import RunResult, Syncd, Tool
from bench.trees import LocalFile, generate, manifest, total_bytes

STEP = "restore"


class Recorder(Protocol):
    """What the restore runs need of the benchmark that hosts them."""

    work: Path
    emulator: Emulator
    tree_bytes: dict[str, int]

    def measure(self, run: Callable[[], RunResult], latency_ms: int) -> Sample:
        """Time ``run`` with the emulator's counters reset just before it."""

    def problems(self, where: str, problems: list[str], output: str) -> None:
        """Print and keep ``problems`` (``output``: the tool's, shown when not empty)."""

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


class Restores:
    """The restore scenarios; ``uploads`` keeps the untimed upload's seconds per tree."""

    def __init__(self, bench: Recorder, uploader: Syncd) -> None:
        self.bench = bench
        self.uploader = uploader
        self.uploads: dict[str, list[float]] = {}

    def run(self, scenario: Scenario, rep: int, tools: list[Tool], seed: int) -> None:
        """One repetition: a fresh tree uploaded once, then restored by every tool."""
        spec = scenario.tree
        work = self.bench.work
        source = work / "src" / spec.name
        shutil.rmtree(source, ignore_errors=True)
        generate(spec, source, seed)
        os.sync()
        local = manifest(source)
        self.bench.tree_bytes[spec.name] = total_bytes(local)
        prefix = f"restore/{spec.name}/r{rep + 1}/"
        if not self._upload(
            source, prefix, local, f"{spec.name} r{rep + 1} upload by {self.uploader.label}"
        ):
            return
        for tool in tools:
            tool_dir = work / "tools" / tool.slug
            tool_dir.mkdir(parents=True, exist_ok=True)
            tool.new_target(tool_dir)
            target = work / "restored" / tool.slug / f"{spec.name}-r{rep + 1}"
            shutil.rmtree(target, ignore_errors=True)
            target.mkdir(parents=True)

            def download(
                tool: Tool = tool, target: Path = target, tool_dir: Path = tool_dir
            ) -> RunResult:
                return tool.restore(source, prefix, target, tool_dir)

            sample = self.bench.measure(download, scenario.latency_ms)
            problems, notes = check_restored(
                local, manifest(target), strict=tool.slug.startswith("syncd")
            )
            sample.problems = problems
            where = f"{spec.name} r{rep + 1} {tool.label} {STEP}"
            self.bench.record(spec.name, tool, STEP, where, sample, notes, len(local))
            shutil.rmtree(target, ignore_errors=True)

    def _upload(self, source: Path, prefix: str, local: dict[str, LocalFile], where: str) -> bool:
        """syncd uploads the tree (not a timed step); False when it did not verify."""
        work = self.bench.work / "tools" / "restore-upload"
        work.mkdir(parents=True, exist_ok=True)
        self.uploader.new_target(work)
        run = self.uploader.run(source, prefix, work)
        found = self.bench.emulator.list_files(prefix)
        problems, _ = check(local, found, prefix, strict=True)
        if run.exit_code != 0:
            problems.insert(0, f"exit code {run.exit_code}")
        self.bench.problems(where, problems, run.output_tail if run.exit_code else "")
        self.uploads.setdefault(source.name, []).append(run.seconds)
        status = "ok" if not problems else "WRONG"
        print(f"[{where}] {run.seconds:.2f} s (not a timed step), {status}", file=sys.stderr)
        return not problems

    def lines(self, scenario: Scenario) -> list[str]:
        """The untimed upload's time, for the report."""
        seconds = self.uploads.get(scenario.name, [])
        if not seconds:
            return []
        shown = ", ".join(f"{s:.2f}" for s in seconds)
        return [
            f"  uploaded once per repetition by syncd sync-now (not timed as a step): {shown} s"
        ]
