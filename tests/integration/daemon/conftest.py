"""Fixtures: an in-process emulator and a folder configured to sync to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.harness import DaemonProcess, NotifySocket, Setup, write_config

KEY_ID = "test-key-id-0001"
KEY = "test-application-key-0001"
BUCKET = "syncd-test-bucket"


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A fresh in-memory emulator with small large-file limits."""
    server = EmulatorServer(
        EmulatorOptions(
            key_id=KEY_ID,
            key=KEY,
            buckets=(BUCKET,),
            recommended_part_size=256 * 1024,
            absolute_minimum_part_size=64 * 1024,
        )
    )
    with server:
        yield server


@pytest.fixture
def setup(tmp_path: Path, emulator: EmulatorServer) -> Setup:
    """A folder, a state dir and a config pointing at the emulator."""
    root = tmp_path / "folder"
    root.mkdir()
    s = Setup(
        root=root,
        state=tmp_path / "state",
        config=tmp_path / "syncd.toml",
        url=emulator.base_url,
        key_id=KEY_ID,
        key=KEY,
        bucket=BUCKET,
    )
    write_config(s)
    return s


@pytest.fixture
def view(emulator: EmulatorServer) -> Iterator[BucketView]:
    """An independent reader of the bucket."""
    v = BucketView(emulator.base_url, KEY_ID, KEY)
    yield v
    v.close()


@pytest.fixture
def daemon(setup: Setup, tmp_path: Path) -> Iterator[DaemonProcess]:
    """A running daemon, stopped with SIGTERM afterwards."""
    notify = NotifySocket(tmp_path / "notify.sock")
    proc = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    proc.wait_ready()
    yield proc
    proc.terminate()
    notify.close()
