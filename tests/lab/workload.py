"""A seeded random workload for the lab (create, rewrite, delete, rename, touch, large)."""

from __future__ import annotations

import os
import random
from pathlib import Path

LARGE = (300_000, 900_000)  # above the lab emulator's 512 KiB large-file threshold


def mutate(root: Path, rng: random.Random, steps: tuple[int, int] = (1, 6)) -> None:
    """Apply a few random operations to the tree under ``root``."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".syncd-folder")
    for _ in range(rng.randint(*steps)):
        op = rng.choice(["create", "create", "rewrite", "delete", "rename", "touch", "large"])
        if op in ("create", "large") or not files:
            sub = root / rng.choice(["", "a", "a/b", "c"])
            sub.mkdir(parents=True, exist_ok=True)
            size = rng.randint(*LARGE) if op == "large" else rng.randint(0, 5000)
            (sub / f"f{rng.randrange(10**6)}").write_bytes(rng.randbytes(size))
            continue
        victim = rng.choice(files)
        if not victim.exists():
            continue
        if op == "rewrite":
            victim.write_bytes(rng.randbytes(rng.randint(1, 5000)))
        elif op == "delete":
            victim.unlink()
        elif op == "rename":
            victim.rename(victim.with_name(f"r{rng.randrange(10**6)}"))
        else:
            ns = rng.randint(1_500_000_000, 1_700_000_000) * 10**9
            os.utime(victim, ns=(ns, ns))


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
