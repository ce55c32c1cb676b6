"""``syncd auth set``: store an application key where the config says it comes from.

Imports ``syncd.config`` (and its ``keystore``, the keyring adapter) and
``syncd.errors``. A key file is written beside itself and renamed into place, mode
0600 from the start; the keyring entry is replaced. An environment variable or a
systemd credential cannot be stored from here: the error says what to do instead.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from syncd.config import Config
from syncd.config.keystore import store_key
from syncd.errors import UsageError


def set_key(config: Config, key: str) -> str:
    """Store ``key`` in the config's key source; return where it went (never the key).

    Raises:
        UsageError: an empty key, or a source that cannot be written from here.
        ConfigError: the keyring refused it.
    """
    key = key.strip()
    if not key or any(c.isspace() for c in key):
        raise UsageError("the key is empty or holds spaces; paste the applicationKey exactly")
    kind, _, where = config.b2.key_source.partition(":")
    if kind == "keyring":
        store_key(where, key)
        return f"the OS keyring ({where})"
    if kind == "file":
        _write_private(Path(where), key)
        return f"{where} (mode 0600)"
    if kind == "env":
        raise UsageError(f"the config reads the key from ${where}: set it in the environment")
    if kind == "credential":
        raise UsageError(
            "the config reads a systemd credential: write the key to the file the unit's "
            "LoadCredential= names (syncd service install prints it), mode 0600"
        )
    raise UsageError(f"realm {config.b2.realm!r} needs no key")


def _write_private(path: Path, key: str) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.new")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(key + "\n")
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise UsageError(f"{path}: cannot write the key: {exc.strerror}") from exc
