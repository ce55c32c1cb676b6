"""kill -9 at random moments, with faults on: nothing lost, nothing repeated.

Each cycle changes the folder at random, starts the daemon, kills it with SIGKILL
after a random delay. At the end the faults stop, one daemon runs to quiescence and
the oracle checks O1 (nothing lost), O2 (nothing extra), O3 (no duplicate versions)
and O5 (no unfinished large files). SYNCD_CRASH_CYCLES sets the cycle count
(30 by default; `pytest -m soak` runs the 200-cycle soak).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView, assert_converged, duplicates, local_tree
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until

FAULTS = [
    "b2_upload_file:rate=0.05,status=503",
    "b2_upload_file:lost_response=0.05",
    "b2_upload_part:lost_response=0.05",
    "b2_finish_large_file:lost_response=0.1",
    "b2_hide_file:rate=0.05,status=500",
]


def mutate(root: Path, rng: random.Random) -> None:
    """One random step of a workload: create, rewrite, delete, rename, touch."""
    files = sorted(p for p in root.rglob("*") if p.is_file() and p.name != ".syncd-folder")
    for _ in range(rng.randint(1, 6)):
        op = rng.choice(["create", "create", "rewrite", "delete", "rename", "touch", "large"])
        if op in ("create", "large") or not files:
            sub = root / rng.choice(["", "a", "a/b", "c"])
            sub.mkdir(parents=True, exist_ok=True)
            size = rng.randint(300_000, 700_000) if op == "large" else rng.randint(0, 5000)
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


def converged(view: BucketView, setup: Setup) -> bool:
    """The bucket mirrors the folder."""
    remote = view.latest(setup.bucket, setup.prefix)
    mirror = {k[len(setup.prefix) :]: (v.sha1, v.mtime_ms) for k, v in remote.items()}
    return mirror == local_tree(setup.root)


def crash_cycles(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path, cycles: int
) -> None:
    """Run ``cycles`` kill -9 cycles, then check the oracle."""
    rng = random.Random(int(os.environ.get("SYNCD_CRASH_SEED", "1234")))
    emulator.set_faults_spec(FAULTS)
    for cycle in range(cycles):
        mutate(setup.root, rng)
        notify = NotifySocket(tmp_path / f"n{cycle}.sock")
        daemon = DaemonProcess(setup, notify, tmp_path / "crash.log")
        time.sleep(rng.uniform(0.3, 2.5))
        daemon.kill()
        notify.close()
    emulator.set_faults_spec([])
    notify = NotifySocket(tmp_path / "final.sock")
    final = DaemonProcess(setup, notify, tmp_path / "final.log")
    final.wait_ready()
    ok = wait_until(lambda: converged(view, setup), 120)
    if not ok:
        final.dump_stacks()
        remote = view.latest(setup.bucket, setup.prefix)
        mirror = {k[len(setup.prefix) :]: (v.sha1, v.mtime_ms) for k, v in remote.items()}
        local = local_tree(setup.root)
        diff = sorted(set(mirror.items()) ^ set(local.items()))
        print("bucket/folder differences (name, (sha1, mtime_ms)):", diff[:20])
    assert final.terminate() == 0
    notify.close()
    versions = view.versions(setup.bucket, setup.prefix)
    assert ok, f"not converged after {cycles} kill -9 cycles:\n{final.log()}"
    assert duplicates(versions) == []
    assert_converged(view, setup.bucket, setup.prefix, setup.root)


@pytest.mark.integration
@pytest.mark.timeout(900)
def test_kill9_cycles(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """30 random kill -9 cycles with injected faults lose nothing and repeat nothing."""
    cycles = int(os.environ.get("SYNCD_CRASH_CYCLES", "30"))
    crash_cycles(setup, view, emulator, tmp_path, cycles)


@pytest.mark.soak
@pytest.mark.timeout(3600)
def test_kill9_soak(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """200 kill -9 cycles (on demand: pytest -m soak)."""
    crash_cycles(setup, view, emulator, tmp_path, 200)
