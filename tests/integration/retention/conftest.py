"""Fixtures: an emulator whose clock the tests move, a folder with retention rules, and
raw uploads and hides made at chosen emulator times."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.config import Config, load_config
from syncd.emulator import EmulatorServer
from tests.integration.restore.conftest import raw_hide, raw_upload
from tests.support.bucket_view import BucketView
from tests.support.folder import KEY, KEY_ID, folder_setup, small_part_emulator
from tests.support.harness import KEY_ENV, Setup, write_config

DAY_MS = 86_400_000
__all__ = ["DAY_MS", "raw_hide", "raw_upload"]  # re-exported for the tests here


@pytest.fixture
def emulator() -> Iterator[EmulatorServer]:
    """A fresh in-memory emulator."""
    with small_part_emulator() as server:
        yield server


@pytest.fixture
def setup(tmp_path: Path, emulator: EmulatorServer) -> Setup:
    """A folder named "folder" synced to prefix host1/ of the emulator."""
    return folder_setup(tmp_path, emulator.base_url)


@pytest.fixture
def view(emulator: EmulatorServer) -> Iterator[BucketView]:
    """An independent reader (and raw writer) of the bucket."""
    v = BucketView(emulator.base_url, KEY_ID, KEY)
    yield v
    v.close()


def advance(emulator: EmulatorServer, days: int) -> BucketView:
    """Move the emulator clock by ``days``; return a reader authorized at the new time
    (tokens of before have expired)."""
    emulator.advance_clock(days * DAY_MS)
    return BucketView(emulator.base_url, KEY_ID, KEY)


def with_retention(setup: Setup, lines: str) -> Config:
    """Rewrite the config with ``lines`` in the folder's retention table; load it."""
    write_config(setup, folder="[folder.retention]\n" + lines)
    return load_config(setup.config, environ={KEY_ENV: setup.key})
