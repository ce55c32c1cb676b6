"""A seeded random workload for the lab (create, rewrite, delete, rename, touch, large)."""

from __future__ import annotations

import random
from pathlib import Path

from tests.support.workload import mutate as shared_mutate

LARGE = (300_000, 900_000)  # above the lab emulator's 512 KiB large-file threshold


def mutate(root: Path, rng: random.Random, steps: tuple[int, int] = (1, 6)) -> None:
    """Apply a few random operations to the tree under ``root`` (lab-sized large files)."""
    shared_mutate(root, rng, steps, LARGE)


def make_files(root: Path, count: int, size: int = 64, sub: str = "") -> list[Path]:
    """Create ``count`` small distinct files under ``root/sub``; return their paths."""
    where = root / sub if sub else root
    where.mkdir(parents=True, exist_ok=True)
    out = []
    for i in range(count):
        path = where / f"n{i:06d}"
        path.write_bytes(f"{sub}/{i}".encode().ljust(size, b"."))
        out.append(path)
    return out
