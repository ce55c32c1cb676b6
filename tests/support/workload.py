"""A seeded random workload for crash tests and the lab: create, rewrite, delete, rename,
touch, large."""

from __future__ import annotations

import os
import random
from pathlib import Path


def mutate(
    root: Path,
    rng: random.Random,
    steps: tuple[int, int] = (1, 6),
    large: tuple[int, int] = (300_000, 700_000),
) -> None:
    """Apply a few random operations to the tree under ``root`` (sizes of "large" files
    drawn from ``large``, which should pass the emulator's large-file threshold)."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".syncd-folder")
    for _ in range(rng.randint(*steps)):
        op = rng.choice(["create", "create", "rewrite", "delete", "rename", "touch", "large"])
        if op in ("create", "large") or not files:
            sub = root / rng.choice(["", "a", "a/b", "c"])
            sub.mkdir(parents=True, exist_ok=True)
            size = rng.randint(*large) if op == "large" else rng.randint(0, 5000)
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
