"""What every benchmarked tool is: a class with a few steps, each one timed process.

``timed_run`` runs a tool's command to completion and measures its wall time and the CPU
time of its whole process tree (user + system, from ``RUSAGE_CHILDREN``).
"""

from __future__ import annotations

import contextlib
import json
import resource
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.server import NEUTRAL_CWD, Emulator, Settings


@dataclass(slots=True)
class RunResult:
    """One timed run of one tool."""

    seconds: float
    cpu_seconds: float
    exit_code: int
    output_tail: str
    summary: dict[str, Any] = field(default_factory=dict)


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(argv: list[str], env: dict[str, str], cwd: Path) -> RunResult:
    """Run ``argv`` to completion; wall time, CPU of the process tree, exit code, output."""
    cpu_before = _cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    seconds = time.perf_counter() - start
    cpu = _cpu_of_children() - cpu_before
    tail = (proc.stdout[-1500:] + "\n" + proc.stderr[-2500:]).strip()
    result = RunResult(seconds, cpu, proc.returncode, tail)
    if proc.stdout.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            result.summary = dict(json.loads(proc.stdout))
    return result


def bin_dir() -> Path:
    """The directory of the running interpreter (where pip put the tools' scripts)."""
    return Path(sys.executable).parent


def first_line(argv: list[str]) -> str:
    """The first line a version command prints (``?`` when it prints nothing)."""
    try:
        out = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=60, cwd=NEUTRAL_CWD
        )
    except OSError as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


class Tool:
    """One sync tool. ``run`` syncs a folder to ``bucket/prefix`` once; ``restore``
    downloads ``bucket/prefix`` into an empty directory."""

    slug = ""
    label = ""
    version = ""

    def available(self) -> bool:
        """True when the tool is installed."""
        return True

    def prepare(self, work: Path, emulator: Emulator) -> None:
        """One-time set-up before any timed run (not timed)."""

    def new_target(self, work: Path) -> None:
        """Forget local state before a fresh initial upload (not timed)."""

    def settings_note(self, s: Settings) -> str:
        """The exact knobs used, for the report."""
        raise NotImplementedError

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        """Sync ``source`` to the bucket under ``prefix`` and wait for it to finish."""
        raise NotImplementedError

    def restore(self, source: Path, prefix: str, target: Path, work: Path) -> RunResult:
        """Download everything under ``prefix`` (synced from ``source``) into the empty
        directory ``target``, the tree directly below it, and wait for it to finish."""
        raise NotImplementedError
