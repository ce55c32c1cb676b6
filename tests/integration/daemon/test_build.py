"""build() only wires syncd; App.start() does the start-up I/O (B2, root markers)."""

from __future__ import annotations

import pytest

from syncd.app.build import build, lock_state
from syncd.config import load_config
from syncd.emulator import EmulatorServer
from syncd.engine.local import MARKER_NAME
from tests.support.harness import KEY_ENV, Setup


def test_build_touches_neither_b2_nor_the_folder_and_start_does(
    setup: Setup, emulator: EmulatorServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """After build: no B2 call, no root marker, no folder; after start: all three."""
    monkeypatch.setenv(KEY_ENV, setup.key)
    config = load_config(setup.config)
    with lock_state(config), build(config) as app:
        assert emulator.stats()["total"] == 0
        assert not (setup.root / MARKER_NAME).exists()
        assert app.folders == {}
        app.start()
        assert emulator.stats()["calls"].get("b2_authorize_account") == 1
        assert (setup.root / MARKER_NAME).exists()
        assert list(app.folders) == ["folder"]
