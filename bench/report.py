"""Results of the comparison benchmark: medians, tables with ratios, and the JSON form."""

from __future__ import annotations

import os
import platform
import statistics
from dataclasses import asdict, dataclass, field
from typing import Any

from bench.scenarios import Plan
from bench.server import Settings
from bench.tools import Tool

MIB = 1024 * 1024
UPLOAD_STEPS = ("initial", "unchanged", "changed")
STEPS = (*UPLOAD_STEPS, "restore")
STEP_TITLES = {
    "initial": "initial upload",
    "unchanged": "no-change re-run",
    "changed": "1% modified + 1% touched",
    "restore": "restore into an empty dir",
}


@dataclass(slots=True)
class Sample:
    """One timed run of one step by one tool."""

    seconds: float
    cpu_seconds: float
    server_cpu_seconds: float
    exit_code: int
    classes: dict[str, int]
    calls: dict[str, int]
    bytes_in: int
    bytes_out: int = 0
    problems: list[str] = field(default_factory=list)


@dataclass(slots=True)
class StepResult:
    """All repetitions of one step of one tool in one scenario."""

    tool: str
    step: str
    files: int
    samples: list[Sample] = field(default_factory=list)

    def seconds(self) -> float:
        """Median wall time."""
        return statistics.median(s.seconds for s in self.samples)

    def median_of(self, pick: str) -> float:
        """Median of a numeric Sample field."""
        return statistics.median(float(getattr(s, pick)) for s in self.samples)

    def klass(self, name: str) -> int:
        """Median count of class ``name`` transactions."""
        return int(statistics.median_low(s.classes.get(name, 0) for s in self.samples))

    def calls(self) -> dict[str, int]:
        """Median count per call name (over all calls seen in any repetition)."""
        names = sorted({n for s in self.samples for n in s.calls})
        return {
            n: int(statistics.median_low(s.calls.get(n, 0) for s in self.samples)) for n in names
        }

    def moved_bytes(self) -> float:
        """Median bytes the step moved: uploaded, or downloaded for a restore."""
        return self.median_of("bytes_out" if self.step == "restore" else "bytes_in")

    def ok(self) -> bool:
        """True when every repetition exited 0 and verified."""
        return all(s.exit_code == 0 and not s.problems for s in self.samples)

    def as_json(self) -> dict[str, Any]:
        """Everything, for ``--json``."""
        secs = [s.seconds for s in self.samples]
        return {
            "tool": self.tool,
            "step": self.step,
            "files": self.files,
            "median_s": self.seconds(),
            "min_s": min(secs),
            "max_s": max(secs),
            "files_per_s": self.files / self.seconds(),
            "uploaded_mib_per_s": self.median_of("bytes_in") / MIB / self.seconds(),
            "downloaded_mib_per_s": self.median_of("bytes_out") / MIB / self.seconds(),
            "classes": {k: self.klass(k) for k in "ABC"},
            "calls": self.calls(),
            "ok": self.ok(),
            "runs": [asdict(s) for s in self.samples],
        }


def ratio(ours: float, theirs: float) -> str:
    """``ours / theirs`` as text; ``-`` when undefined."""
    if theirs == 0:
        return "0/0" if ours == 0 else "inf"
    return f"{ours / theirs:.2f}"


def _calls_text(calls: dict[str, int], klass: set[str] | None = None) -> str:
    parts = [
        f"{name.removeprefix('b2_')}x{n}"
        for name, n in sorted(calls.items(), key=lambda kv: (-kv[1], kv[0]))
        if n and (klass is None or name in klass)
    ]
    return ", ".join(parts) or "-"


def scenario_table(
    title: str, results: dict[str, dict[str, StepResult]], labels: dict[str, str]
) -> str:
    """One table: a row per step and tool, with ratios syncd / tool."""
    lines = [title]
    head = (
        f"  {'step':<26} {'tool':<26} {'median s':>9} {'min-max s':>13} {'files/s':>9} "
        f"{'MiB/s':>7} {'A':>6} {'B':>4} {'C':>5} {'xfer MiB':>8} {'CPU s':>6} {'srv CPU':>7}  "
        f"{'ok':<4} {'time ratio':>10} {'C ratio':>8}"
    )
    lines.append(head)
    lines.append("  " + "-" * (len(head) - 2))
    ours = results.get("syncd", {})
    for step in STEPS:
        for slug, steps in results.items():
            r = steps.get(step)
            if r is None or not r.samples:
                continue
            secs = [s.seconds for s in r.samples]
            up = r.moved_bytes()
            mine = ours.get(step)
            t_ratio = c_ratio = ""
            if mine is not None and mine.samples and slug != "syncd":
                t_ratio = ratio(mine.seconds(), r.seconds())
                c_ratio = ratio(mine.klass("C"), r.klass("C"))
            lines.append(
                f"  {STEP_TITLES[step]:<26} {labels[slug]:<26} {r.seconds():>9.2f} "
                f"{min(secs):>6.2f}-{max(secs):<6.2f} {r.files / r.seconds():>9.0f} "
                f"{up / MIB / r.seconds():>7.1f} {r.klass('A'):>6} {r.klass('B'):>4} "
                f"{r.klass('C'):>5} {up / MIB:>8.1f} {r.median_of('cpu_seconds'):>6.2f} "
                f"{r.median_of('server_cpu_seconds'):>7.2f}  {'yes' if r.ok() else 'NO':<4} "
                f"{t_ratio:>10} {c_ratio:>8}"
            )
        if lines[-1]:  # a blank line after each step that has rows
            lines.append("")
    return "\n".join(lines)


def calls_table(
    results: dict[str, dict[str, StepResult]], labels: dict[str, str], c_calls: set[str]
) -> str:
    """Class B and C calls by name, per step and tool (median of the repetitions)."""
    lines = ["  class B/C calls by name (median):"]
    for step in STEPS:
        for slug, steps in results.items():
            r = steps.get(step)
            if r is None or not r.samples:
                continue
            lines.append(
                f"    {STEP_TITLES[step]:<26} {labels[slug]:<26} {_calls_text(r.calls(), c_calls)}"
            )
    return "\n".join(lines)


def ratio_summary(
    scenarios: dict[str, dict[str, dict[str, StepResult]]], labels: dict[str, str]
) -> str:
    """syncd / tool for time and class C, every scenario and step in one table."""
    others = [s for s in labels if s != "syncd"]
    lines = [
        "Ratios syncd / other tool (median time; class C calls in brackets). "
        "Below 1.00 = syncd is faster / uses fewer class C calls; above 1.00 = the other tool is.",
    ]
    head = f"  {'scenario':<14} {'step':<26}" + "".join(f" {labels[o]:>28}" for o in others)
    lines.append(head)
    for name, results in scenarios.items():
        ours = results.get("syncd", {})
        for step in STEPS:
            mine = ours.get(step)
            if mine is None or not mine.samples:
                continue
            cells = []
            for other in others:
                theirs = results.get(other, {}).get(step)
                if theirs is None or not theirs.samples:
                    cells.append(f" {'n/a':>28}")
                    continue
                text = (
                    f"{ratio(mine.seconds(), theirs.seconds())} "
                    f"[C {ratio(mine.klass('C'), theirs.klass('C'))}]"
                )
                cells.append(f" {text:>28}")
            lines.append(f"  {name:<14} {STEP_TITLES[step]:<26}" + "".join(cells))
    return "\n".join(lines)


def ratios_json(results: dict[str, dict[str, StepResult]]) -> dict[str, dict[str, Any]]:
    """syncd / tool per step: time and class C calls (None when the tool made none)."""
    ours = results.get("syncd", {})
    ratios: dict[str, dict[str, Any]] = {}
    for slug, steps in results.items():
        if slug == "syncd" or not ours:
            continue
        ratios[slug] = {}
        for step, r in steps.items():
            mine = ours.get(step)
            if mine is None:
                continue
            c = r.klass("C")
            ratios[slug][step] = {
                "time": mine.seconds() / r.seconds(),
                "class_c": mine.klass("C") / c if c else None,
            }
    return ratios


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
        "includes process start-up; files/s = files in the tree / s; MiB/s = xfer MiB / s;",
        "xfer MiB = MiB uploaded (for a restore: MiB downloaded, counted by the emulator);",
        "A/B/C = B2 transactions per class counted by the emulator (C is the expensive one); "
        "CPU s = the tool's CPU; srv CPU = the emulator's CPU.",
        "ratios are syncd / tool: below 1.00 syncd is faster (or makes fewer class C calls).",
        "",
    ]
    return lines
