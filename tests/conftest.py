"""Fixtures shared by every test folder: an in-memory B2 emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer

EMULATOR_KEY_ID = "emulator-test-key-id"
EMULATOR_KEY = "emulator-test-application-key"
EMULATOR_BUCKET = "test-bucket"

EmulatorFactory = Callable[..., EmulatorServer]


@pytest.fixture
def emulator_factory() -> Iterator[EmulatorFactory]:
    """Start emulators with any EmulatorOptions overrides; all are stopped at teardown."""
    servers: list[EmulatorServer] = []

    def start(**overrides: Any) -> EmulatorServer:
        options: dict[str, Any] = {
            "key_id": EMULATOR_KEY_ID,
            "key": EMULATOR_KEY,
            "buckets": (EMULATOR_BUCKET,),
        }
        options.update(overrides)
        server = EmulatorServer(EmulatorOptions(**options))
        server.start()
        servers.append(server)
        return server

    yield start
    for server in reversed(servers):
        server.stop()


@pytest.fixture
def emulator(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """A fresh in-memory emulator with bucket ``test-bucket``; see .key_id/.key/.base_url."""
    return emulator_factory()
