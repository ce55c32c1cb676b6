"""``key_keyring``: validated like the other key sources, read through the keyring adapter."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from keyring.backend import KeyringBackend

from syncd.config.loader import parse_config
from syncd.errors import ConfigError


class MemoryKeyring(KeyringBackend):
    """An in-memory keyring for one test."""

    priority = 1

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, or None."""
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password."""
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        """Forget a password."""
        self.entries.pop((service, username), None)


@pytest.fixture
def memory_keyring() -> Iterator[MemoryKeyring]:
    """The process's keyring replaced by a memory one for the test."""
    before = keyring.get_keyring()
    ring = MemoryKeyring()
    keyring.set_keyring(ring)
    yield ring
    keyring.set_keyring(before)


def raw(tmp_path: Path, **b2: str) -> dict[str, object]:
    """A minimal parsed config with the given [b2] keys."""
    (tmp_path / "data").mkdir(exist_ok=True)
    return {
        "b2": {"key_id": "k", **b2},
        "state": {"dir": str(tmp_path / "state")},
        "folder": [{"path": str(tmp_path / "data"), "bucket": "my-bucket"}],
    }


def test_key_is_read_from_the_keyring(tmp_path: Path, memory_keyring: MemoryKeyring) -> None:
    """The stored key becomes application_key; the source names the entry, not the key."""
    memory_keyring.set_password("syncd", "k", "secret-key")
    config = parse_config(raw(tmp_path, key_keyring="syncd/k"), source=Path("x"), environ={})
    assert config.b2.application_key == "secret-key"
    assert config.b2.key_source == "keyring:syncd/k"


@pytest.mark.parametrize(
    ("b2", "message"),
    [
        ({"key_keyring": "no-slash"}, "SERVICE/USER"),
        ({"key_keyring": "syncd/k", "key_env": "K"}, "give only one of"),
        ({"key_keyring": "syncd/missing"}, "no key stored"),
    ],
    ids=["no-slash", "two-sources", "nothing-stored"],
)
def test_bad_keyring_sources_are_one_line(
    tmp_path: Path, memory_keyring: MemoryKeyring, b2: dict[str, str], message: str
) -> None:
    """A malformed entry, two sources, or an empty entry is a ConfigError naming the fix."""
    with pytest.raises(ConfigError, match=message):
        parse_config(raw(tmp_path, **b2), source=Path("x"), environ={"K": "v"})
