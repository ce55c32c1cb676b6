"""Scenario 5: unreadable items (as an unprivileged user), files changing during upload,
and a sync root that is unmounted or replaced.

Root ignores mode bits, so the permission test runs the daemon as ``nobody`` through
``setpriv`` with a state dir it owns. The root tests bind-mount the folder in a private
mount namespace (``unshare -m``) and unmount it with ``nsenter``; nothing leaves it.
"""

from __future__ import annotations

import os
import random
import shutil
import subprocess
import threading
import time
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.support import (
    AS_NOBODY,
    LabDaemon,
    Recorder,
    give_to_nobody,
    hides,
    status_json,
    wait_quiet,
    wait_verdict,
)
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView, local_tree
from tests.support.harness import Setup

pytestmark = pytest.mark.lab


@pytest.mark.timeout(300)
def test_unreadable_items_are_reported_never_hidden(
    setup: Setup, view: BucketView, lab_dir: Path, record: Recorder
) -> None:
    """As nobody: chmod 000 files and directories are never hidden and recover once fixed."""
    record.describe(
        "5a unreadable files/dirs (daemon as nobody)",
        "0 hides while unreadable; reported in status; uploaded after chmod back",
    )
    make_files(setup.root, 10, sub="open")
    make_files(setup.root, 10, sub="locked")
    setup.state.mkdir()
    give_to_nobody(setup.root, setup.state)
    daemon = LabDaemon(setup, lab_dir, "nobody", prefix=AS_NOBODY, env={"HOME": str(setup.state)})
    daemon.wait_ready()
    uid_line = next(
        line
        for line in Path(f"/proc/{daemon.pid}/status").read_text().splitlines()
        if line.startswith("Uid:")
    )
    assert uid_line.split()[1:3] == ["65534", "65534"], uid_line
    first, _ = wait_verdict(view, setup, 60)
    assert first.ok, first.summary() + daemon.log()
    expected = local_tree(setup.root)
    (setup.root / "open" / "n000001").chmod(0)
    (setup.root / "locked").chmod(0)
    new = setup.root / "open" / "secret.txt"
    new.write_text("unreadable from birth")
    os.lchown(new, 0, 0)
    new.chmod(0o600)
    (setup.root / "open" / "n000002").write_text("a normal change meanwhile")
    os.lchown(setup.root / "open" / "n000002", 65534, 65534)
    expected["open/n000002"] = local_tree(setup.root)["open/n000002"]
    found, _ = wait_verdict(view, setup, 30, local=expected)
    time.sleep(3)  # longer than delete_hold_s and a retry: a wrong hide would show by now
    status = status_json(setup, AS_NOBODY)
    reported = [
        item.get("path")
        for f in status.get("folders", [])
        for item in [*f.get("failing", []), *f.get("skipped", [])]
    ]
    wrong_hides = hides(view, setup)
    record.fig("hides while unreadable", len(wrong_hides))
    record.fig("reported in status", reported)
    assert wrong_hides == []
    assert found.ok, found.summary()
    for p in (setup.root / "locked", setup.root / "open" / "n000001"):
        p.chmod(0o755)
    os.lchown(new, 65534, 65534)
    fixed, took = wait_verdict(view, setup, 60)
    record.fig("converged after fix s", took)
    assert daemon.terminate() == 0, daemon.log()
    assert fixed.ok, fixed.summary()
    assert reported, "unreadable items must appear in syncd status"


def churn(path: Path, how: str, stop: threading.Event, seed: int) -> int:
    """Change ``path`` until ``stop``: grow, shrink or replace it; return the change count."""
    rng = random.Random(seed)
    n = 0
    deadline = time.monotonic() + 30
    while not stop.is_set() and time.monotonic() < deadline:
        if how == "grow":
            with path.open("ab") as f:
                f.write(rng.randbytes(50_000))
        elif how == "shrink":
            size = path.stat().st_size
            os.truncate(path, max(0, size - 40_000) if size > 100_000 else 2_000_000)
        else:
            tmp = path.with_suffix(".tmp")
            tmp.write_bytes(rng.randbytes(rng.randint(100_000, 1_500_000)))
            os.replace(tmp, path)
        n += 1
        time.sleep(0.1)
    return n


@pytest.mark.timeout(300)
def test_files_changing_during_upload_end_as_their_last_content(
    setup: Setup,
    view: BucketView,
    emulator: EmulatorServer,
    lab_dir: Path,
    record: Recorder,
) -> None:
    """Files grown, shrunk and replaced during slow uploads end on B2 as their final bytes."""
    record.describe(
        "5b files grow / shrink / are replaced during upload",
        "final bytes on B2; 0 duplicates; 0 unfinished large files",
    )
    rng = random.Random(5)
    paths = {how: setup.root / f"{how}.bin" for how in ("grow", "shrink", "replace")}
    for p in paths.values():
        p.write_bytes(rng.randbytes(1_200_000))
    emulator.set_faults_spec(["b2_upload_part|b2_upload_file:latency_ms=150"])
    daemon = LabDaemon(setup, lab_dir, "churn")
    daemon.wait_ready()
    stop = threading.Event()
    counts: dict[str, int] = {}
    threads = [
        threading.Thread(target=lambda h=h, p=p: counts.__setitem__(h, churn(p, h, stop, 9)))
        for h, p in paths.items()
    ]
    for t in threads:
        t.start()
    time.sleep(8)
    stop.set()
    for t in threads:
        t.join(35)
    emulator.set_faults_spec([])
    calls = emulator.stats()["calls"]
    found, took = wait_verdict(view, setup, 120)
    assert wait_quiet(setup)
    found = wait_verdict(view, setup, 10)[0]
    assert daemon.terminate() == 0, daemon.log()
    record.fig("changes made", counts)
    record.fig(
        "upload attempts while churning",
        {
            k[3:]: calls.get(k, 0)
            for k in ("b2_upload_file", "b2_start_large_file", "b2_cancel_large_file")
        },
    )
    record.fig("versions stored", found.versions)
    record.fig("converged after writers stopped s", took)
    assert found.ok, found.summary()


def in_namespace(pid: int, *cmd: str) -> None:
    """Run a command in the mount namespace of ``pid``."""
    subprocess.run(["nsenter", "-t", str(pid), "-m", *cmd], check=True, timeout=30)


@pytest.mark.timeout(300)
def test_unmounted_or_replaced_root_hides_nothing(
    setup: Setup, view: BucketView, emulator: EmulatorServer, lab_dir: Path, record: Recorder
) -> None:
    """A root unmounted (umount -l) or swapped for an empty directory causes 0 hides."""
    record.describe(
        "5c root unmounted / replaced",
        "0 hides while the root is gone or empty; converged with 0 uploads once it is back",
    )
    source = lab_dir / "disk"
    source.mkdir()
    make_files(source, 30, sub="d")
    shell = f'mount --bind "{source}" "{setup.root}"\nexec $SYNCD'
    daemon = LabDaemon(
        setup, lab_dir, "mnt", prefix=["unshare", "-m", "--propagation", "private"], shell=shell
    )
    daemon.wait_ready()
    expected = local_tree(source)
    first, _ = wait_verdict(view, setup, 60, local=expected)
    assert first.ok, first.summary() + daemon.log()
    in_namespace(daemon.pid, "umount", "-l", str(setup.root))
    time.sleep(4)
    after_umount = hides(view, setup)
    in_namespace(daemon.pid, "mount", "--bind", str(source), str(setup.root))
    time.sleep(2)
    emulator.reset_stats()
    in_namespace(daemon.pid, "umount", "-l", str(setup.root))
    aside = lab_dir / "aside"
    shutil.move(str(setup.root), aside)  # the (now empty) mount point is replaced
    setup.root.mkdir()
    time.sleep(4)
    after_replace = hides(view, setup)
    setup.root.rmdir()
    shutil.move(str(aside), setup.root)
    in_namespace(daemon.pid, "mount", "--bind", str(source), str(setup.root))
    found, _ = wait_verdict(view, setup, 60, local=expected)
    uploads = emulator.stats()["calls"].get("b2_upload_file", 0)
    code = daemon.terminate()
    record.fig("hides after umount", len(after_umount))
    record.fig("hides after replace", len(after_replace))
    record.fig("uploads after return", uploads)
    assert code == 0, daemon.log()
    assert after_umount == []
    assert after_replace == []
    assert found.ok, found.summary()
