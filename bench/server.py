"""The B2 emulator the benchmark runs against: ``syncd emulator --data DIR`` in its own
process, its call counters, and the listing used to check each tool's result."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# ``python -m syncd`` imports from the working directory first: run it from elsewhere, so
# PYTHONPATH can point the benchmark at another copy of syncd.
NEUTRAL_CWD = tempfile.gettempdir()


@dataclass(frozen=True, slots=True)
class Settings:
    """What every tool is told, so the comparison is like for like."""

    key_id: str
    key: str
    bucket: str
    transfers: int
    part_size: int
    rclone_fast_list: bool


class Emulator:
    """``syncd emulator --data DIR`` in its own process, plus the few API calls we need."""

    def __init__(self, data_dir: Path, settings: Settings, min_part_size: int) -> None:
        self.settings = settings
        argv = [sys.executable, "-m", "syncd", "emulator", "--host", "127.0.0.1", "--port", "0"]
        argv += ["--data", str(data_dir), "--key-id", settings.key_id, "--key", settings.key]
        argv += ["--bucket", settings.bucket, "--part-size", str(settings.part_size)]
        argv += ["--min-part-size", str(min_part_size)]
        self.process = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            cwd=data_dir.parent,
        )
        assert self.process.stdout is not None
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            self.process.kill()
            raise RuntimeError(f"the emulator did not start (first line {self.url!r})")
        self.http = httpx.Client(base_url=self.url, timeout=120)
        auth = self.http.post(
            "/b2api/v4/b2_authorize_account", auth=(settings.key_id, settings.key), json={}
        ).json()
        self.token: str = auth["authorizationToken"]
        self.s3_url: str = auth["apiInfo"]["storageApi"]["s3ApiUrl"]  # the S3-compatible API
        found = self._call(
            "b2_list_buckets", accountId=auth["accountId"], bucketName=settings.bucket
        )
        self.bucket_id: str = found["buckets"][0]["bucketId"]
        self.reset_stats()

    def _call(self, name: str, **params: Any) -> Any:
        reply = self.http.post(
            f"/b2api/v4/{name}", json=params, headers={"Authorization": self.token}
        )
        reply.raise_for_status()
        return reply.json()

    def stats(self) -> dict[str, Any]:
        """Call counts per call and per class since the last reset."""
        reply = self.http.get("/_emulator/stats")
        reply.raise_for_status()
        return dict(reply.json())

    def reset_stats(self) -> None:
        """Zero the counters."""
        self.http.post("/_emulator/reset-stats").raise_for_status()

    def set_faults(self, specs: list[str]) -> None:
        """Replace the emulator's fault rules with ``--fault`` spec strings (``[]`` clears)."""
        self.http.post("/_emulator/faults", json=specs).raise_for_status()

    def list_versions(self, prefix: str) -> list[dict[str, Any]]:
        """Every version under ``prefix``, newest first per name (all pages)."""
        versions: list[dict[str, Any]] = []
        start: dict[str, Any] = {"startFileName": prefix}
        while True:
            page = self._call(
                "b2_list_file_versions",
                bucketId=self.bucket_id,
                prefix=prefix,
                maxFileCount=10_000,
                **start,
            )
            versions.extend(page["files"])
            if page.get("nextFileName") is None:
                return versions
            start = {"startFileName": page["nextFileName"], "startFileId": page["nextFileId"]}

    def cpu_seconds(self) -> float:
        """User plus system CPU time of the emulator process so far (Linux; else 0)."""
        try:
            fields = Path(f"/proc/{self.process.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0.0
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def list_files(self, prefix: str) -> list[dict[str, Any]]:
        """The visible files under ``prefix`` (``b2_list_file_names``, all pages)."""
        files: list[dict[str, Any]] = []
        start: str | None = prefix
        while start is not None:
            page = self._call(
                "b2_list_file_names",
                bucketId=self.bucket_id,
                prefix=prefix,
                startFileName=start,
                maxFileCount=10_000,
            )
            files.extend(page["files"])
            start = page.get("nextFileName")
        return files

    def stop(self) -> None:
        """Terminate the process."""
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(30)
