"""Fixtures: an in-process emulator and a folder configured to sync to it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.support.bucket_view import BucketView
from tests.support.folder import KEY, KEY_ID, folder_setup, small_part_emulator
from tests.support.harness import DaemonProcess, NotifySocket, Setup


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A fresh in-memory emulator with small large-file limits."""
    with small_part_emulator() as server:
        yield server


@pytest.fixture
def setup(tmp_path: Path, emulator: EmulatorServer) -> Setup:
    """A folder named "folder", a state dir and a config pointing at the emulator."""
    return folder_setup(tmp_path, emulator.base_url)


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
