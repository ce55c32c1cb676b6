"""A keyring backend that keeps entries in a JSON file named by $SYNCD_TEST_KEYRING_FILE,
so a syncd subprocess started with PYTHON_KEYRING_BACKEND pointing here uses a real
keyring code path without touching the machine's keyring."""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend

FILE_ENV = "SYNCD_TEST_KEYRING_FILE"
BACKEND = "tests.support.filekeyring.FileKeyring"


class FileKeyring(KeyringBackend):
    """Passwords in a JSON file: {"service/user": password}."""

    priority = 1

    def _path(self) -> Path:
        return Path(os.environ[FILE_ENV])

    def _load(self) -> dict[str, str]:
        path = self._path()
        return json.loads(path.read_text()) if path.exists() else {}

    def get_password(self, service: str, username: str) -> str | None:
        """The stored password, or None."""
        return self._load().get(f"{service}/{username}")

    def set_password(self, service: str, username: str, password: str) -> None:
        """Store a password."""
        data = self._load()
        data[f"{service}/{username}"] = password
        self._path().write_text(json.dumps(data))

    def delete_password(self, service: str, username: str) -> None:
        """Forget a password."""
        data = self._load()
        data.pop(f"{service}/{username}", None)
        self._path().write_text(json.dumps(data))
