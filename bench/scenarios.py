"""The scenarios of ``compare.py`` and the reference rates they are read against.

A scenario is a generated tree plus how it is served: ``latency_ms`` makes the emulator
sleep that long before every B2 call a tool makes (a ``*:latency_ms=N`` fault rule, set
only while the tool runs, so the bench's own checks are not slowed), and ``repeat`` caps
the repetitions of the big trees. Two reference rates come from this machine, not from a
tool: a ``os.scandir`` + ``stat`` walk of the tree (no sync tool can notice "nothing
changed" faster than it can stat every file) and ``hashlib.sha1`` over memory (every tool
must hash every byte it uploads, so this bounds a large upload from one core).
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass, replace
from pathlib import Path

from bench.trees import KIB, MIB, TreeSpec

GIB = 1024 * MIB
SHA1_PROBE_BYTES = 256 * MIB


@dataclass(frozen=True, slots=True)
class Scenario:
    """One tree, the latency injected on every call, a cap on the repetitions, and the
    reference rate it is read against (``walk``, ``sha1`` or none)."""

    tree: TreeSpec
    latency_ms: int = 0
    repeat: int | None = None
    reference: str = ""
    note: str = ""
    in_quick: bool = True  # part of a plain --quick run (else only when named)
    restore: bool = False  # upload once, then each tool downloads it (bench/restore.py)
    group: str = ""  # another name --scenarios selects it by ("restore")

    @property
    def name(self) -> str:
        """The scenario's (and tree's) name."""
        return self.tree.name

    def describe(self) -> str:
        """The tree, plus the injected latency when there is one."""
        text = self.tree.describe()
        if self.restore:
            return f"{text}, uploaded once by syncd, then restored by every tool"
        if self.latency_ms:
            return f"{text}, {self.latency_ms} ms injected on every B2 call"
        return text

    def resized(self, count: int | None = None, size: int | None = None) -> Scenario:
        """The same scenario with another file count and/or file size."""
        tree = self.tree
        if count is not None:
            tree = replace(tree, count=count, dirs=max(1, min(tree.dirs, count // 10)))
        if size is not None:
            tree = replace(tree, min_size=size, max_size=size)
        return replace(self, tree=tree)


@dataclass(frozen=True, slots=True)
class Plan:
    """The scenarios, the large-file part size and the number of repetitions."""

    scenarios: tuple[Scenario, ...]
    part_size: int
    min_part_size: int
    repeat: int
    daemon_files: int
    append_seconds: float


def restore_of(tree: TreeSpec, *, in_quick: bool = True) -> Scenario:
    """The restore scenario of one of the upload trees (same sizes, its own name)."""
    renamed = replace(tree, name=f"restore-{tree.name}")
    return Scenario(renamed, restore=True, group="restore", in_quick=in_quick)


SMALL = TreeSpec("small", 2000, 1 * KIB, 16 * KIB, 50)
MEDIUM = TreeSpec("medium", 20, 4 * MIB, 4 * MIB, 4)
QUICK_SMALL = TreeSpec("small", 100, 1 * KIB, 16 * KIB, 5)
QUICK_MEDIUM = TreeSpec("medium", 4, 1 * MIB, 1 * MIB, 2)
FULL = Plan(
    scenarios=(
        Scenario(SMALL),
        Scenario(MEDIUM),
        Scenario(TreeSpec("large", 2, 64 * MIB, 64 * MIB, 1)),
        Scenario(TreeSpec("lat30", 500, 1 * KIB, 16 * KIB, 20), latency_ms=30),
        Scenario(
            TreeSpec("many", 100_000, 16, 256, 1000),
            repeat=1,
            reference="walk",
            note="syncd's no-change target: 1.5 s for 100,000 files",
        ),
        Scenario(TreeSpec("huge", 1, 2 * GIB, 2 * GIB, 1), repeat=1, reference="sha1"),
        restore_of(SMALL),
        restore_of(MEDIUM),
    ),
    part_size=16 * MIB,
    min_part_size=5_000_000,
    repeat=3,
    daemon_files=200,
    append_seconds=30.0,
)
QUICK = Plan(
    scenarios=(
        Scenario(QUICK_SMALL),
        Scenario(QUICK_MEDIUM),
        Scenario(TreeSpec("large", 2, 11 * MIB, 11 * MIB, 1)),
        Scenario(TreeSpec("lat30", 5, 1 * KIB, 16 * KIB, 1), latency_ms=30),
        Scenario(TreeSpec("many", 200, 16, 256, 10), repeat=1, reference="walk", in_quick=False),
        Scenario(
            TreeSpec("huge", 1, 16 * MIB, 16 * MIB, 1), repeat=1, reference="sha1", in_quick=False
        ),
        restore_of(QUICK_SMALL, in_quick=False),
        restore_of(QUICK_MEDIUM, in_quick=False),
    ),
    part_size=5 * MIB,
    min_part_size=5_000_000,
    repeat=1,
    daemon_files=10,
    append_seconds=1.0,
)


@dataclass(frozen=True, slots=True)
class Walk:
    """A ``scandir`` + ``stat`` walk of a tree (warm cache)."""

    files: int
    seconds: float

    def rate(self) -> float:
        """Files stat'ed per second."""
        return self.files / self.seconds if self.seconds else 0.0


def stat_walk(root: Path) -> Walk:
    """Walk ``root`` with ``os.scandir`` and stat every file; best of three passes."""
    best = float("inf")
    files = 0
    for _ in range(3):
        start = time.perf_counter()
        files = 0
        stack = [str(root)]
        while stack:
            with os.scandir(stack.pop()) as entries:
                for entry in entries:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
                    else:
                        entry.stat(follow_symlinks=False)
                        files += 1
        best = min(best, time.perf_counter() - start)
    return Walk(files, best)


def sha1_mib_per_s() -> float:
    """This machine's single-thread ``hashlib.sha1`` rate over memory, MiB/s (best of 3)."""
    block = os.urandom(16 * MIB)
    best = float("inf")
    for _ in range(3):
        digest = hashlib.sha1(usedforsecurity=False)
        start = time.perf_counter()
        for _ in range(SHA1_PROBE_BYTES // len(block)):
            digest.update(block)
        best = min(best, time.perf_counter() - start)
    return SHA1_PROBE_BYTES / MIB / best


def latency_rule(latency_ms: int) -> list[str]:
    """The fault specs that delay every B2 call by ``latency_ms`` (none for 0)."""
    return [f"*:latency_ms={latency_ms}"] if latency_ms else []
