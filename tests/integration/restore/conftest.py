"""Fixtures: an emulator, a synced folder, and helpers to run ls/restore/undelete."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.folder import BUCKET, KEY, KEY_ID, folder_setup, small_part_emulator
from tests.support.harness import Setup


@dataclass
class Result:
    """What one syncd command did."""

    code: int
    doc: dict[str, Any]
    out: str
    err: str


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A fresh in-memory emulator with small large-file limits."""
    with small_part_emulator() as server:
        yield server


@pytest.fixture
def setup(tmp_path: Path, emulator: EmulatorServer) -> Setup:
    """A folder named "folder", a state dir and a config pointing at the emulator."""
    return folder_setup(
        tmp_path,
        emulator.base_url,
        b2="large_file_threshold_bytes = 300000\npart_size_bytes = 131072",
    )


@pytest.fixture
def view(emulator: EmulatorServer) -> Iterator[BucketView]:
    """An independent reader (and raw writer) of the bucket."""
    v = BucketView(emulator.base_url, KEY_ID, KEY)
    yield v
    v.close()


def syncd(setup: Setup, *args: str, cwd: Path | None = None) -> Result:
    """Run ``syncd ARGS --config CONFIG --json``; parse the JSON it prints."""
    command, *rest = args
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", command, "--config", str(setup.config), "--json", *rest],
        capture_output=True,
        text=True,
        env={**setup.env(), "PYTHONPATH": str(Path(__file__).resolve().parents[3])},
        timeout=120,
        check=False,
        cwd=cwd,
    )
    doc = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return Result(proc.returncode, doc, proc.stdout, proc.stderr)


def raw_upload(view: BucketView, name: str, data: bytes, mtime_ms: int = 1_600_000_000_000) -> str:
    """Upload ``name`` straight through the native API (any name B2 accepts); its id."""
    target = view.call("b2_get_upload_url", {"bucketId": view.bucket_id(BUCKET)})
    resp = view.http.post(
        target["uploadUrl"],
        content=data,
        headers={
            "Authorization": target["authorizationToken"],
            "X-Bz-File-Name": quote(name, safe="/"),
            "Content-Type": "application/octet-stream",
            "X-Bz-Content-Sha1": hashlib.sha1(data).hexdigest(),
            "X-Bz-Info-src_last_modified_millis": str(mtime_ms),
        },
    )
    resp.raise_for_status()
    return str(resp.json()["fileId"])


def raw_hide(view: BucketView, name: str) -> None:
    """Hide ``name`` through the native API."""
    view.call("b2_hide_file", {"bucketId": view.bucket_id(BUCKET), "fileName": name})


def tree(root: Path) -> dict[str, tuple[bytes, int]]:
    """rel path -> (bytes, mtime_ns) of every regular file below ``root``."""
    out: dict[str, tuple[bytes, int]] = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath) / name
            if p.is_symlink() or not p.is_file():
                continue
            out[p.relative_to(root).as_posix()] = (p.read_bytes(), p.stat().st_mtime_ns)
    return out


def set_mtime(path: Path, ms: int) -> None:
    """Give ``path`` an mtime of ``ms``."""
    os.utime(path, ns=(ms * 1_000_000, ms * 1_000_000))
