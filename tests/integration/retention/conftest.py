"""Helpers: moving the emulator's clock, a folder with retention rules, and raw uploads
and hides made at chosen emulator times (the emulator, folder and reader fixtures are
tests/integration/conftest.py's)."""

from __future__ import annotations

from syncd.config import Config, load_config
from syncd.emulator import EmulatorServer
from tests.integration.restore.conftest import raw_hide, raw_upload
from tests.support.bucket_view import BucketView
from tests.support.folder import KEY, KEY_ID
from tests.support.harness import KEY_ENV, Setup, write_config

DAY_MS = 86_400_000
__all__ = ["DAY_MS", "raw_hide", "raw_upload"]  # re-exported for the tests here


def advance(emulator: EmulatorServer, days: int) -> BucketView:
    """Move the emulator clock by ``days``; return a reader authorized at the new time
    (tokens of before have expired)."""
    emulator.advance_clock(days * DAY_MS)
    return BucketView(emulator.base_url, KEY_ID, KEY)


def with_retention(setup: Setup, lines: str) -> Config:
    """Rewrite the config with ``lines`` in the folder's retention table; load it."""
    write_config(setup, folder="[folder.retention]\n" + lines)
    return load_config(setup.config, environ={KEY_ENV: setup.key})
