"""Lab helpers: the daemon under a command prefix, the bucket oracle, the results file.

Builds on tests/support (harness, bucket_view) without changing it; everything here is
specific to the lab: daemons run through ``unshare``/``setpriv``, RSS figures, and one
verdict per scenario computed only from an independent listing of the bucket.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tests.support.bucket_view import BucketView, duplicates, local_tree
from tests.support.harness import NotifySocket, Setup, wait_until, write_config

KEY_ID = "lab-key-id-0001"
# The secrets canary: unique per run, so a hit can only come from this run's daemon.
KEY = f"labcanary{uuid.uuid4().hex}"
BUCKET = "syncd-lab-bucket"


@dataclass(frozen=True)
class LabOptions:
    """The lab's command-line options."""

    cycles: int
    seed: int
    scale: str
    results: Path

    @property
    def full(self) -> bool:
        """True for ``--lab-scale full``."""
        return self.scale == "full"


@dataclass
class Recorder:
    """One scenario's row: what it checks and the figures it measured."""

    test: str
    scenario: str = ""
    checked: str = ""
    figures: dict[str, Any] = field(default_factory=dict)

    def describe(self, scenario: str, checked: str) -> None:
        """Name the scenario and what it verifies."""
        self.scenario, self.checked = scenario, checked

    def fig(self, name: str, value: Any) -> None:
        """Record one figure and print it (visible with ``pytest -s``)."""
        self.figures[name] = value
        print(f"[lab] {self.test}: {name} = {value}")


def append_result(lab: LabOptions, rec: Recorder, outcome: str) -> None:
    """Replace this test's row in the results file (a JSON object keyed by test)."""
    lab.results.parent.mkdir(parents=True, exist_ok=True)
    rows: dict[str, Any] = {}
    if lab.results.exists():
        try:
            rows = json.loads(lab.results.read_text())
        except ValueError:
            rows = {}
    rows[rec.test] = {
        **asdict(rec),
        "outcome": outcome,
        "seed": lab.seed,
        "scale": lab.scale,
        "cycles": lab.cycles,
        "when": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
    }
    lab.results.write_text(json.dumps(rows, indent=2, sort_keys=True) + "\n")


def make_setup(
    base: Path, url: str, *, sync: str = "", b2: str = "", folder: str = "", workers: int = 3
) -> Setup:
    """A folder, state dir and config under ``base``, pointing at ``url``."""
    root = base / "folder"
    root.mkdir(exist_ok=True)
    s = Setup(
        root=root,
        state=base / "state",
        config=base / "syncd.toml",
        url=url,
        key_id=KEY_ID,
        key=KEY,
        bucket=BUCKET,
    )
    write_config(s, sync=sync, b2=b2, folder=folder)
    if workers != 3:
        text = s.config.read_text()
        s.config.write_text(text.replace("workers = 3\n", f"workers = {workers}\n", 1))
    return s


LIVE: list[LabDaemon] = []  # every daemon started, so a failed test still stops its own


class LabDaemon:
    """``syncd run`` in a subprocess, optionally behind a command prefix.

    ``prefix`` is an argv such as ``["setpriv", "--reuid=65534", ...]``; with
    ``shell`` set, the whole command runs as ``sh -ec SHELL`` where ``$SYNCD`` expands to
    the daemon's argv (the shell ``exec``s it, so ``pid`` is the daemon's).
    """

    def __init__(
        self,
        setup: Setup,
        base: Path,
        tag: str,
        *,
        prefix: list[str] | None = None,
        shell: str | None = None,
        env: dict[str, str] | None = None,
    ) -> None:
        self.notify = NotifySocket(base / f"notify-{tag}.sock")
        (base / f"notify-{tag}.sock").chmod(0o777)
        self.log_path = base / f"daemon-{tag}.log"
        self._log = self.log_path.open("ab")
        argv = [sys.executable, "-m", "syncd", "run", "--config", str(setup.config)]
        full_env = {
            **setup.env(),
            "NOTIFY_SOCKET": str(self.notify.path),
            "WATCHDOG_USEC": "5000000",
            **(env or {}),
        }
        if shell is not None:
            full_env["SYNCD"] = " ".join(argv)
            argv = ["sh", "-ec", shell]
        self.proc = subprocess.Popen(
            [*(prefix or []), *argv], stdout=self._log, stderr=self._log, env=full_env
        )
        LIVE.append(self)

    @property
    def pid(self) -> int:
        """The daemon's process id."""
        return self.proc.pid

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Block until READY=1 arrived (or fail with the log)."""
        ok = wait_until(
            lambda: self.notify.seen("READY=1") or self.proc.poll() is not None, timeout_s
        )
        if not ok or self.proc.poll() is not None:
            raise AssertionError(f"daemon not ready (exit {self.proc.poll()}):\n{self.log()}")

    def log(self) -> str:
        """The tail of what the daemon wrote."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-20000:]

    def full_log(self) -> str:
        """Everything the daemon wrote."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")

    def rss_hwm_mib(self) -> float:
        """Peak resident set size (VmHWM) of the daemon, in MiB."""
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
        return -1.0

    def signal(self, sig: signal.Signals) -> None:
        """Send a signal to the daemon."""
        if self.proc.poll() is None:
            os.kill(self.pid, sig)

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self.close()

    def terminate(self, timeout_s: float = 60) -> int:
        """SIGTERM and wait; return the exit code (SIGKILL after ``timeout_s``)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(30)
            code = -9
        self.close()
        return code

    def close(self) -> None:
        """Close the log and the notify socket."""
        if not self._log.closed:
            self._log.close()
        self.notify.close()


@dataclass
class Verdict:
    """What an independent listing of the bucket says about one folder."""

    local: int
    remote: int
    lost: list[str]
    wrong: list[str]
    extra: list[str]
    duplicates: list[str]
    unfinished: int
    versions: int

    @property
    def ok(self) -> bool:
        """O1, O2, O3 and O5 all hold."""
        return not (self.lost or self.wrong or self.extra or self.duplicates or self.unfinished)

    def summary(self) -> str:
        """A one-line account of what differs."""
        return (
            f"local={self.local} remote={self.remote} lost={self.lost[:5]}({len(self.lost)}) "
            f"wrong={self.wrong[:5]} extra={self.extra[:5]} dup={self.duplicates[:5]} "
            f"unfinished={self.unfinished}"
        )


def verdict(
    view: BucketView, setup: Setup, local: dict[str, tuple[str, int]] | None = None
) -> Verdict:
    """Compare the folder (or an expected ``local`` map) with the bucket's listing."""
    local = local_tree(setup.root) if local is None else local
    versions = view.versions(setup.bucket, setup.prefix)
    visible: dict[str, tuple[str | None, int | None]] = {}
    seen: set[str] = set()
    for v in versions:
        if v.name in seen or v.action == "start":
            continue
        seen.add(v.name)
        if v.action == "upload":
            visible[v.name[len(setup.prefix) :]] = (v.sha1, v.mtime_ms)
    return Verdict(
        local=len(local),
        remote=len(visible),
        lost=sorted(set(local) - set(visible)),
        wrong=sorted(k for k in local if k in visible and visible[k] != local[k]),
        extra=sorted(set(visible) - set(local)),
        duplicates=duplicates(versions),
        unfinished=view.unfinished(setup.bucket),
        versions=sum(1 for v in versions if v.action == "upload"),
    )


def wait_verdict(
    view: BucketView,
    setup: Setup,
    timeout_s: float,
    local: dict[str, tuple[str, int]] | None = None,
    step_s: float = 0.5,
) -> tuple[Verdict, float]:
    """Poll until the bucket mirrors the folder or time is up; return (verdict, seconds)."""
    start = time.monotonic()
    last = verdict(view, setup, local)
    while not last.ok and time.monotonic() - start < timeout_s:
        time.sleep(step_s)
        last = verdict(view, setup, local)
    return last, round(time.monotonic() - start, 1)


NOBODY = 65534
AS_NOBODY = [
    "setpriv",
    f"--reuid={NOBODY}",
    f"--regid={NOBODY}",
    "--clear-groups",
    "--inh-caps=-all",
]


def give_to_nobody(*paths: Path) -> None:
    """chown trees to the unprivileged user the daemon runs as."""
    for top in paths:
        for p in [top, *top.rglob("*")]:
            os.lchown(p, NOBODY, NOBODY)


def hides(view: BucketView, setup: Setup) -> list[str]:
    """Names with a hide marker anywhere in their history."""
    return sorted({v.name for v in view.versions(setup.bucket, setup.prefix) if v.action == "hide"})


def status_json(setup: Setup, prefix: list[str] | None = None) -> dict[str, Any]:
    """``syncd status --json`` (empty when it fails), optionally behind a command prefix."""
    proc = subprocess.run(
        [
            *(prefix or []),
            sys.executable,
            "-m",
            "syncd",
            "status",
            "--json",
            "--config",
            str(setup.config),
        ],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )
    try:
        data: dict[str, Any] = json.loads(proc.stdout)
    except ValueError:
        return {}
    return data


def wait_quiet(
    setup: Setup, timeout_s: float = 60, quiet_s: float = 2.0, prefix: list[str] | None = None
) -> bool:
    """Wait until the journal shows nothing pending for ``quiet_s`` (bounded)."""
    deadline = time.monotonic() + timeout_s
    quiet_since: float | None = None
    while time.monotonic() < deadline:
        folders = status_json(setup, prefix).get("folders", [])
        idle = bool(folders) and all(f.get("pending", 1) == 0 for f in folders)
        now = time.monotonic()
        if not idle:
            quiet_since = None
        elif quiet_since is None:
            quiet_since = now
        elif now - quiet_since >= quiet_s:
            return True
        time.sleep(0.3)
    return False
