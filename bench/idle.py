"""The idle daemon: CPU, memory, wakeups and inotify watches of ``syncd run`` watching a
big tree that is already on B2 and in the journal.

Run from the repository root::

    python bench/idle.py --files 100000 --work DIR              # 60 s of idle
    python bench/idle.py --files 1000000 --work DIR --build seed --seconds 120
    python bench/idle.py --files 200 --work DIR --seconds 2 --json out.json

Building (once per ``--work``, kept between calls, as ``nochange.py`` keeps it):

* ``--build upload`` (the default) is ``nochange.py``'s build step, imported: the
  ``many`` tree (``--files`` files of 16-256 B in ``files / 100`` directories, fixed
  seed and mtimes), uploaded by one ``syncd sync-now`` through the emulator, then
  checked. A work directory built by ``nochange.py`` serves both benches.
* ``--build seed`` (for a million files, whose upload through syncd takes hours):
  the same tree, but the emulator's data is written by ``bench/seed.py`` through the
  emulator's own stores, offline (one blob per directory, each file a slice of it,
  with the SHA1, size and ``src_last_modified_millis`` syncd would have sent). syncd's
  journal is then built by syncd itself: one ``syncd sync-now`` on the empty journal
  walks the bucket (the remote index) and adopts every file whose B2 version matches
  (the adoption path of a first sync against a bucket that already holds the files);
  it must upload nothing. So the journal holds one index row and one remote-index row
  per file, exactly as after an upload.

Measuring: the emulator starts on the kept data and ``syncd run`` on the kept state.
The bench polls ``syncd status --json`` until the daemon is up, every folder is idle
with nothing pending, a full rescan has finished and no remote walk is running; then
until the daemon's own CPU stays under ``QUIET_SHARE`` of a core for two
``QUIET_WINDOW_S`` windows. Over ``--seconds`` it then reads ``/proc/PID``: CPU (user +
sys, all threads) as a share of one core, VmRSS and VmHWM, inotify watches, and
voluntary context switches of all threads per second (the wakeups), with the threads
that woke most. Finally the bucket is checked against the tree (names, sizes, SHA1s,
mtimes), the daemon gets SIGTERM and must exit 0. ``--py-spy S`` then also records
S seconds of the idle daemon (``--idle`` samples, raw) before the SIGTERM.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import procstat
from bench.mirror import check
from bench.nochange import BUCKET, KEY, KEY_ID, PREFIX, build_once
from bench.profile_sync import top_frames
from bench.seed import seed_emulator
from bench.server import Emulator, Settings
from bench.tools import Syncd
from bench.trees import manifest

QUIET_SHARE = 0.05  # a core share under which the daemon counts as settled
QUIET_WINDOW_S = 2.0
POLL_S = 2.0
TOP_THREADS = 5


@dataclass(slots=True)
class IdleResult:
    """What one idle measurement found."""

    files: int
    seconds: float
    ready_s: float = 0.0  # start -> ready and quiet
    cpu_s: float = 0.0
    rss_mib: float = 0.0
    hwm_mib: float = 0.0
    watches: int = 0
    wakeups_per_s: float = 0.0
    involuntary_per_s: float = 0.0
    threads: int = 0
    busiest: list[tuple[int, str, float, int]] = field(default_factory=list)
    journal_rows: dict[str, int] = field(default_factory=dict)
    exit_code: int | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def cpu_percent(self) -> float:
        """CPU as a share of one core, in percent."""
        return 100 * self.cpu_s / self.seconds if self.seconds else 0.0

    def lines(self) -> list[str]:
        """The result block."""
        rows = ", ".join(f"{k} {v:,}" for k, v in self.journal_rows.items())
        out = [
            f"Idle daemon: syncd run watching {self.files:,} files (journal: {rows})",
            f"  ready and quiet after {self.ready_s:.1f} s; measured over {self.seconds:g} s",
            f"  CPU (user+sys): {self.cpu_s:.3f} s = {self.cpu_percent:.2f} % of one core",
            f"  RSS: {self.rss_mib:.1f} MiB now, {self.hwm_mib:.1f} MiB peak (VmHWM)",
            f"  inotify watches: {self.watches:,}; threads: {self.threads}",
            f"  wakeups (voluntary switches, all threads): {self.wakeups_per_s:.1f}/s; "
            f"involuntary {self.involuntary_per_s:.1f}/s",
        ]
        for tid, name, cpu, woke in self.busiest:
            out.append(f"    thread {tid} ({name}): {woke / self.seconds:.1f}/s, {cpu:.3f} s CPU")
        out.append(f"  SIGTERM: exit {self.exit_code}")
        out.extend(f"!!! idle: {p}" for p in self.problems)
        if not self.problems:
            out.append("  verified: the prefix mirrors the tree (names, sizes, SHA1s, mtimes)")
        return out

    def as_json(self) -> dict[str, Any]:
        """Every number."""
        return {**asdict(self), "cpu_percent": self.cpu_percent}


def status(syncd: Syncd, config: Path, work: Path) -> dict[str, Any] | None:
    """``syncd status --json``, or None when it printed no JSON."""
    argv = [*syncd.argv(config)[:3], "status", "--config", str(config), "--json"]
    done = subprocess.run(
        argv, capture_output=True, text=True, env=syncd.env(), cwd=work, check=False
    )
    try:
        return dict(json.loads(done.stdout))
    except ValueError:
        return None


def settled(report: dict[str, Any]) -> bool:
    """True when the daemon runs and every folder is idle after a full rescan."""
    daemon = report.get("daemon") or {}
    if daemon.get("state") != "running" or not report.get("folders"):
        return False
    for folder in report["folders"]:
        walk = folder.get("remote_index") or {}
        if folder["state"] != "idle" or folder["pending"] or walk.get("walk_running"):
            return False
        if (folder.get("last_rescan_ms") or 0) < (daemon.get("since_ms") or 0):
            return False
    return True


def wait_ready(
    syncd: Syncd, config: Path, work: Path, daemon: subprocess.Popen[bytes], timeout_s: float
) -> bool:
    """Poll status, then the daemon's CPU, until it is ready and quiet."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and daemon.poll() is None:
        report = status(syncd, config, work)
        if report is not None and settled(report):
            break
        time.sleep(POLL_S)
    quiet = 0
    while quiet < 2 and time.monotonic() < deadline and daemon.poll() is None:
        before = procstat.sample(daemon.pid).cpu_s
        time.sleep(QUIET_WINDOW_S)
        share = (procstat.sample(daemon.pid).cpu_s - before) / QUIET_WINDOW_S
        quiet = quiet + 1 if share < QUIET_SHARE else 0
    return quiet >= 2


def journal_rows(syncd: Syncd) -> dict[str, int]:
    """Rows of the journal's big tables (read-only)."""
    path = syncd.state / "journal.sqlite3"
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return {
            table: int(db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0])
            for table in ("files", "remote_versions", "pending", "history")
        }
    finally:
        db.close()


def measure(daemon: subprocess.Popen[bytes], seconds: float, result: IdleResult) -> None:
    """Read /proc over ``seconds`` of idle."""
    before = procstat.sample(daemon.pid)
    time.sleep(seconds)
    after = procstat.sample(daemon.pid)
    result.cpu_s = after.cpu_s - before.cpu_s
    result.rss_mib = after.rss_kib / 1024
    result.hwm_mib = after.hwm_kib / 1024
    result.wakeups_per_s = (after.voluntary - before.voluntary) / seconds
    result.involuntary_per_s = (after.involuntary - before.involuntary) / seconds
    result.threads = len(after.threads)
    result.busiest = procstat.thread_deltas(before, after)[:TOP_THREADS]
    result.watches = procstat.inotify_watches(daemon.pid)


def record_profile(pid: int, seconds: float, out: Path) -> None:
    """py-spy's raw stacks of the idle daemon, waiting threads included."""
    py_spy = str(Path(sys.executable).parent / "py-spy")
    argv = [py_spy, "record", "--pid", str(pid), "--duration", str(int(seconds)), "--idle"]
    subprocess.run([*argv, "--format", "raw", "-o", str(out)], capture_output=True, check=False)
    if out.exists():
        print(f"py-spy raw stacks (idle included) in {out}")
        for frame, samples, percent in top_frames(out.read_text(), 15):
            print(f"{percent:6.1f}% {samples:8d}  {frame}")


def stop(daemon: subprocess.Popen[bytes]) -> int:
    """SIGTERM, then wait (SIGKILL after 60 s)."""
    daemon.terminate()
    try:
        return daemon.wait(60)
    except subprocess.TimeoutExpired:
        daemon.kill()
        return daemon.wait(30)


def run(args: argparse.Namespace) -> IdleResult:
    """Build once, then measure the idle daemon."""
    work = args.work.resolve()
    settings = Settings(KEY_ID, KEY, BUCKET, 4, 16 * 1024 * 1024, True)
    syncd = Syncd(settings)
    build_once(work, args.files, syncd, settings, seed_emulator if args.build == "seed" else None)
    source = work / "src"
    syncd.state = work / "syncd-state"
    result = IdleResult(files=args.files, seconds=args.seconds)
    emulator = Emulator(work / "emulator", settings, 5_000_000)
    log = (work / "idle-daemon.log").open("wb")
    try:
        syncd.prepare(work, emulator)
        config = syncd.write_config(source, PREFIX, work)
        started = time.monotonic()
        daemon = subprocess.Popen(
            [*syncd.argv(config)[:3], "run", "--config", str(config)],
            stdout=log, stderr=subprocess.STDOUT, env=syncd.env(), cwd=work,
        )  # fmt: skip
        try:
            if not wait_ready(syncd, config, work, daemon, args.ready_timeout):
                result.problems.append("the daemon never became ready and quiet")
                return result
            result.ready_s = time.monotonic() - started
            print(f"ready and quiet after {result.ready_s:.1f} s; measuring", flush=True)
            measure(daemon, args.seconds, result)
            if args.py_spy:
                record_profile(daemon.pid, args.py_spy, work / "idle-profile.txt")
        finally:
            result.exit_code = stop(daemon)
            log.close()
        result.journal_rows = journal_rows(syncd)
        problems, _ = check(manifest(source), emulator.list_files(PREFIX), PREFIX, strict=True)
        result.problems.extend(problems)
        if result.exit_code != 0:
            result.problems.append(f"syncd run exited {result.exit_code} on SIGTERM")
    finally:
        emulator.stop()
    return result


def main() -> int:
    """Measure; 0 when the daemon settled, verified and stopped cleanly."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0] if __doc__ else "")
    parser.add_argument("--files", type=int, default=100_000)
    parser.add_argument("--work", type=Path, required=True, help="kept between calls")
    parser.add_argument("--seconds", type=float, default=60.0, help="the idle window")
    parser.add_argument("--build", choices=("upload", "seed"), default="upload")
    parser.add_argument("--ready-timeout", type=float, default=3600.0)
    parser.add_argument("--py-spy", type=float, default=0.0, metavar="S")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    result = run(args)
    print("\n".join(result.lines()))
    if args.json:
        args.json.write_text(json.dumps(result.as_json(), indent=2) + "\n")
    return 0 if not result.problems else 1


if __name__ == "__main__":
    sys.exit(main())
