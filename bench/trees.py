"""Generated source trees for the comparison benchmark: fixed seed, fixed mtimes.

A tree is generated again, byte for byte and with the same mtimes, for every tool and
every repetition, so each run starts from the same state. ``mutate`` then rewrites a
share of the files (new bytes, same size, new mtime) and touches another share (new mtime
only), again from the seed.
"""

from __future__ import annotations

import hashlib
import os
import random
from dataclasses import dataclass
from pathlib import Path

KIB = 1024
MIB = 1024 * KIB
# 2024-01-01T00:00:00Z, plus a sub-millisecond part so that truncation to ms matters.
BASE_MTIME_NS = 1_704_067_200_000_000_000 + 123_456
CHUNK = 4 * MIB
# syncd keeps a marker in each folder root and never uploads it: not part of the tree.
IGNORED = frozenset({".syncd-folder"})


@dataclass(frozen=True, slots=True)
class TreeSpec:
    """``count`` files of ``min_size``..``max_size`` bytes spread over ``dirs`` directories."""

    name: str
    count: int
    min_size: int
    max_size: int
    dirs: int

    def describe(self) -> str:
        """A short human description, e.g. ``2000 files of 1-16 KiB in 50 dirs``."""
        if self.min_size == self.max_size:
            size = _human(self.min_size)
        else:
            size = f"{_human(self.min_size)}-{_human(self.max_size)}"
        return f"{self.count} files of {size} in {self.dirs} dir(s)"


@dataclass(frozen=True, slots=True)
class LocalFile:
    """What the bucket must hold for one local file."""

    size: int
    sha1: str
    mtime_ms: int


def _human(size: int) -> str:
    if size % MIB == 0:
        return f"{size // MIB} MiB"
    if size % KIB == 0:
        return f"{size // KIB} KiB"
    return f"{size} B"


def _write(path: Path, size: int, rng: random.Random) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as out:
        left = size
        while left > 0:
            n = min(left, CHUNK)
            out.write(rng.randbytes(n))
            left -= n


def generate(spec: TreeSpec, root: Path, seed: int) -> list[str]:
    """Create the tree of ``spec`` under ``root``; return its relative paths, sorted."""
    rng = random.Random(f"{seed}:{spec.name}")
    names: list[str] = []
    for i in range(spec.count):
        folder = f"d{i % spec.dirs:03d}" if spec.dirs > 1 else "d000"
        rel = f"{folder}/{spec.name}-{i:05d}.bin"
        path = root / rel
        _write(path, rng.randint(spec.min_size, spec.max_size), rng)
        mtime_ns = BASE_MTIME_NS + i * 1_000_000_000
        os.utime(path, ns=(mtime_ns, mtime_ns))
        names.append(rel)
    return sorted(names)


def mutate(root: Path, names: list[str], fraction: float, seed: int) -> tuple[int, int]:
    """Rewrite ``fraction`` of the files and touch another ``fraction``; return the counts.

    A rewritten file keeps its size but gets new bytes and an mtime one hour later; a
    touched file keeps its bytes and gets an mtime two hours later. At least one file of
    each kind, when the tree has two files or more.
    """
    rng = random.Random(f"{seed}:mutate:{len(names)}")
    n = max(1, round(len(names) * fraction))
    n = min(n, len(names) // 2)
    chosen = rng.sample(names, 2 * n)
    modified, touched = chosen[:n], chosen[n:]
    for rel in modified:
        path = root / rel
        stat = path.stat()
        _write(path, stat.st_size, rng)
        mtime_ns = stat.st_mtime_ns + 3600 * 1_000_000_000
        os.utime(path, ns=(mtime_ns, mtime_ns))
    for rel in touched:
        path = root / rel
        mtime_ns = path.stat().st_mtime_ns + 7200 * 1_000_000_000
        os.utime(path, ns=(mtime_ns, mtime_ns))
    return len(modified), len(touched)


def manifest(root: Path) -> dict[str, LocalFile]:
    """Every file under ``root`` by relative POSIX path, with size, sha1 and mtime in ms."""
    found: dict[str, LocalFile] = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        if path.relative_to(root).as_posix() in IGNORED:
            continue
        digest = hashlib.sha1()
        with path.open("rb") as src:
            while block := src.read(CHUNK):
                digest.update(block)
        stat = path.stat()
        found[path.relative_to(root).as_posix()] = LocalFile(
            size=stat.st_size, sha1=digest.hexdigest(), mtime_ms=stat.st_mtime_ns // 1_000_000
        )
    return found


def total_bytes(files: dict[str, LocalFile]) -> int:
    """The sum of the sizes in a manifest."""
    return sum(f.size for f in files.values())
