"""The daemon scenarios of ``compare.py``: how soon a written file is on B2 under ``syncd run``.

Only syncd has a daemon (``b2 sync`` and ``rclone sync`` run once), so there is no ratio.

1. **write latency**: with ``syncd run`` watching an empty folder (after a warm-up file has
   gone through), ``files`` small files are written and closed one by one, ``WRITE_GAP_S``
   apart. Per file, two figures (p50, p99, max): close -> the version's
   ``uploadTimestamp`` (the emulator's clock, the same machine's: the moment the newest
   version exists on B2), and close -> the first listing that shows it (the bucket is
   listed every ``POLL_S``, so this one includes up to ``POLL_S`` of polling and the
   listings' own cost). Then the versions under the scenario's prefix are counted: one
   per file, or a file was uploaded twice.
2. **append**: one log file gets a line every 100 ms for ``append_seconds``, each by
   open-append-close; then the bench waits until the newest version on B2 has the local
   file's SHA1 and counts the versions created (each is a stored object; a file closed
   again within the settle window waits the window, so the count stays low).
3. **idle**: the daemon's CPU over ``idle_s`` seconds (``--daemon-idle``) with nothing
   changing, as a share of one core (the folder holds what the scenarios wrote).

Then the whole prefix is checked against the folder (names, sizes, SHA1s, mtimes), and
the daemon is stopped with SIGTERM. A file written and closed is quiet at once (the
close-write fast path); ``[sync] settle_s`` (printed with the result) is the wait of
files still being written and of files rewritten within it.
"""

from __future__ import annotations

import hashlib
import os
import statistics
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench.mirror import check
from bench.server import Emulator
from bench.tools import Syncd
from bench.trees import manifest

PREFIX = "daemon/"
WRITE_GAP_S = 0.05
POLL_S = 0.02
APPEND_EVERY_S = 0.1
WAIT_S = 120.0


@dataclass(slots=True)
class DaemonResult:
    """What the daemon scenarios measured."""

    settle_s: float
    latencies: list[float] = field(default_factory=list)
    stored: list[float] = field(default_factory=list)  # close -> uploadTimestamp
    write_versions: int = 0
    appends: int = 0
    versions: int = 0
    cpu_seconds: float = 0.0
    idle_cpu_seconds: float = 0.0
    idle_s: float = 0.0
    problems: list[str] = field(default_factory=list)

    def lines(self, files: int, append_seconds: float) -> list[str]:
        """The report."""
        out = [f"Daemon: syncd run, [sync] settle_s={self.settle_s} (the debounce)"]
        if self.latencies:
            out.append(
                f"  {files} files written and closed {WRITE_GAP_S * 1000:.0f} ms apart, "
                f"{self.write_versions} version(s) created on B2"
            )
            out.append(
                f"    close -> newest version on B2 (uploadTimestamp): {_spread(self.stored)}"
            )
            out.append(
                f"    close -> seen in a listing (every {POLL_S * 1000:.0f} ms):      "
                f"{_spread(self.latencies)}"
            )
        out.append(
            f"  a log file appended every {APPEND_EVERY_S * 1000:.0f} ms for {append_seconds:g} s "
            f"({self.appends} appends): {self.versions} version(s) created on B2"
        )
        out.append(f"  daemon CPU for both: {self.cpu_seconds:.2f} s")
        if self.idle_s:
            out.append(
                f"  daemon CPU idle for {self.idle_s:g} s: {self.idle_cpu_seconds:.2f} s = "
                f"{self.idle_cpu_seconds / self.idle_s * 100:.2f} % of a core"
            )
        out.extend(f"!!! daemon: {p}" for p in self.problems)
        if not self.problems:
            out.append("  verified: the prefix mirrors the folder (names, sizes, SHA1s, mtimes)")
        return out

    def as_json(self) -> dict[str, object]:
        """Every number."""
        return {
            "settle_s": self.settle_s,
            "latencies_s": self.latencies,
            "stored_s": self.stored,
            "write_versions": self.write_versions,
            "appends": self.appends,
            "versions": self.versions,
            "cpu_seconds": self.cpu_seconds,
            "idle_cpu_seconds": self.idle_cpu_seconds,
            "idle_seconds": self.idle_s,
            "problems": self.problems,
        }


def _spread(values: list[float]) -> str:
    if not values:
        return "no figures"
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"p50 {statistics.median(ordered):.3f} s, p99 {p99:.3f} s, max {ordered[-1]:.3f} s"


def _process_cpu(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _visible(emulator: Emulator, prefix: str) -> dict[str, str]:
    """Name -> contentSha1 of the newest visible version of each file under ``prefix``."""
    return {f["fileName"]: f.get("contentSha1", "") for f in emulator.list_files(prefix)}


def _wait_for(emulator: Emulator, name: str, sha1: str, daemon: subprocess.Popen[bytes]) -> bool:
    deadline = time.monotonic() + WAIT_S
    while time.monotonic() < deadline and daemon.poll() is None:
        if _visible(emulator, name).get(name) == sha1:
            return True
        time.sleep(POLL_S)
    return False


def _write_latencies(
    emulator: Emulator,
    folder: Path,
    files: int,
    daemon: subprocess.Popen[bytes],
    result: DaemonResult,
) -> None:
    closed: dict[str, float] = {}
    closed_ms: dict[str, float] = {}
    seen: dict[str, float] = {}
    (folder / "w").mkdir()
    next_write = time.perf_counter()
    deadline = time.monotonic() + WAIT_S + files * WRITE_GAP_S
    while len(seen) < files and time.monotonic() < deadline and daemon.poll() is None:
        now = time.perf_counter()
        if len(closed) < files and now >= next_write:
            rel = f"w/{len(closed):05d}.txt"
            with open(folder / rel, "wb") as out:
                out.write(os.urandom(512))
            closed[PREFIX + rel] = time.perf_counter()
            closed_ms[PREFIX + rel] = time.time() * 1000
            next_write += WRITE_GAP_S
            continue
        listed = emulator.list_files(PREFIX + "w/")
        at = time.perf_counter()
        for entry in listed:
            seen.setdefault(entry["fileName"], at)
        time.sleep(POLL_S)
    if len(seen) != files:
        result.problems.append(f"only {len(seen)} of {files} files became visible")
    result.latencies = [seen[n] - closed[n] for n in seen if n in closed]
    time.sleep(1.0)  # a second version of a file, if one were coming, would be stored by now
    versions = [v for v in emulator.list_versions(PREFIX + "w/") if v["action"] == "upload"]
    result.write_versions = len(versions)
    first: dict[str, float] = {}
    for v in versions:  # newest first per name: keep the oldest
        first[v["fileName"]] = (v["uploadTimestamp"] - closed_ms.get(v["fileName"], 0)) / 1000
    result.stored = [first[n] for n in first if n in closed_ms]
    if result.write_versions != files:
        result.problems.append(f"{result.write_versions} versions for {files} files written once")


def _append(folder: Path, seconds: float) -> int:
    log = folder / "log" / "app.log"
    log.parent.mkdir()
    appends = 0
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        with open(log, "ab") as out:
            out.write(f"{time.time():.3f} line {appends}\n".encode())
        appends += 1
        time.sleep(APPEND_EVERY_S)
    return appends


def run_daemon(
    emulator: Emulator,
    syncd: Syncd,
    work: Path,
    files: int,
    append_seconds: float,
    settle: float,
    idle_s: float = 10.0,
) -> DaemonResult:
    """Both daemon scenarios against one ``syncd run``."""
    folder = work / "daemon-src"
    folder.mkdir(parents=True)
    syncd.new_target(work)
    config = syncd.write_config(folder, PREFIX, work, sync_extra=f"settle_s = {settle}\n")
    result = DaemonResult(settle_s=settle)
    log = (work / "daemon.log").open("wb")
    daemon = subprocess.Popen(
        [*syncd.argv(config)[:3], "run", "--config", str(config)],
        stdout=log,
        stderr=subprocess.STDOUT,
        env=syncd.env(),
        cwd=work,
    )
    try:
        (folder / "warm-up.txt").write_bytes(b"warm up\n")
        warm_sha1 = hashlib.sha1(b"warm up\n").hexdigest()
        if not _wait_for(emulator, PREFIX + "warm-up.txt", warm_sha1, daemon):
            result.problems.append("the warm-up file never reached B2")
            return result
        _write_latencies(emulator, folder, files, daemon, result)
        result.appends = _append(folder, append_seconds)
        name = PREFIX + "log/app.log"
        sha1 = hashlib.sha1((folder / "log" / "app.log").read_bytes()).hexdigest()
        if not _wait_for(emulator, name, sha1, daemon):
            result.problems.append("the appended log never reached B2 in its final form")
        versions = emulator.list_versions(name)
        result.versions = sum(v["fileName"] == name and v["action"] == "upload" for v in versions)
        problems, _ = check(manifest(folder), emulator.list_files(PREFIX), PREFIX, strict=True)
        result.problems.extend(problems)
        busy = _process_cpu(daemon.pid)
        time.sleep(idle_s)
        result.idle_s = idle_s
        result.idle_cpu_seconds = _process_cpu(daemon.pid) - busy
    finally:
        result.cpu_seconds = _process_cpu(daemon.pid)
        daemon.terminate()
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            daemon.kill()
            daemon.wait(30)
        log.close()
    if daemon.returncode not in (0, -15):
        result.problems.append(f"syncd run exited {daemon.returncode}")
    return result
