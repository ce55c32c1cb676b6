"""One folder synced to one bucket of a small-part in-process emulator: the setup the
daemon and restore integration tests share."""

from __future__ import annotations

from pathlib import Path

from syncd.emulator import EmulatorOptions, EmulatorServer
from tests.support.harness import Setup, write_config

KEY_ID = "test-key-id-0001"
KEY = "test-application-key-0001"
BUCKET = "syncd-test-bucket"


def small_part_emulator() -> EmulatorServer:
    """A fresh in-memory emulator (not started) with small large-file limits."""
    return EmulatorServer(
        EmulatorOptions(
            key_id=KEY_ID,
            key=KEY,
            buckets=(BUCKET,),
            recommended_part_size=256 * 1024,
            absolute_minimum_part_size=64 * 1024,
        )
    )


def folder_setup(tmp_path: Path, url: str, *, b2: str = "") -> Setup:
    """A folder named "folder", a state dir and a config pointing at ``url``."""
    root = tmp_path / "folder"
    root.mkdir()
    setup = Setup(
        root=root,
        state=tmp_path / "state",
        config=tmp_path / "syncd.toml",
        url=url,
        key_id=KEY_ID,
        key=KEY,
        bucket=BUCKET,
    )
    write_config(setup, b2=b2)
    return setup
