"""The daemon's Runtime wires the configuration into the parts it starts."""

from __future__ import annotations

import dataclasses
import random
from pathlib import Path
from types import SimpleNamespace

from syncd.app.runtime import Runtime
from syncd.config import B2Config, Config, FolderConfig, LogConfig, StateConfig, SyncConfig
from tests.support.fake_clock import FakeClock


def _config(tmp_path: Path, sync: SyncConfig) -> Config:
    folder = FolderConfig(name="docs", path=tmp_path, bucket="bucket-one")
    return Config(
        source=tmp_path / "syncd.toml",
        b2=B2Config(key_id="k", application_key="s", key_source="env:K"),
        state=StateConfig(dir=tmp_path / "state"),
        log=LogConfig(),
        sync=sync,
        folders=(folder,),
    )


def test_watcher_holds_deletes_for_the_configured_time(tmp_path: Path) -> None:
    """[sync] delete_hold_s is the watcher's delete hold: one setting, one behaviour."""
    sync = dataclasses.replace(SyncConfig(), delete_hold_s=7.5)
    config = _config(tmp_path, sync)
    folder = SimpleNamespace(config=config.folders[0])
    app = SimpleNamespace(
        config=config,
        folders={"docs": folder},
        inbox=SimpleNamespace(record=lambda _changes: None),
        clock=FakeClock(),
        rng=random.Random(1),
        journal=None,
        client=None,
        reconciler=None,
    )
    runtime = Runtime(app)  # type: ignore[arg-type]
    assert runtime.watch_settings.delete_hold_s == 7.5
