"""Encryption and [retention.lock] settings: parsed, inherited, and refused in one line."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

import pytest

from syncd.config import Config, load_config
from syncd.config.protection import key_id_of
from syncd.errors import ConfigError
from tests.unit.config.test_loader import ENV, base, write

KEY = bytes(range(32))


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A real local folder to sync."""
    path = tmp_path / "data"
    path.mkdir()
    return path


@pytest.fixture
def key_path(tmp_path: Path) -> Path:
    """A 0600 file with a 32-byte key."""
    path = tmp_path / "sse.key"
    path.write_bytes(KEY)
    path.chmod(0o600)
    return path


def load(
    tmp_path: Path,
    folder: Path,
    env: Mapping[str, str] | None = None,
    *,
    b2: str = "",
    extra: str = "",
    fold: str = "",
) -> Config:
    """Load a config made by ``base`` with the given parts."""
    text = base(tmp_path, folder, b2=b2, extra=extra, fold=fold)
    return load_config(write(tmp_path, text), environ=env or ENV)


def refused(tmp_path: Path, folder: Path, *, b2: str = "", extra: str = "") -> str:
    """The one-line error of a config that must be refused."""
    with pytest.raises(ConfigError) as info:
        load(tmp_path, folder, b2=b2, extra=extra)
    message = str(info.value)
    assert "\n" not in message
    return message


def test_default_is_the_bucket_default(tmp_path: Path, folder: Path) -> None:
    """Without encryption keys, [b2] and the folder leave the bucket's default in force."""
    config = load(tmp_path, folder)
    assert config.b2.encryption is None
    assert config.folders[0].encryption is None
    assert config.lock is None


def test_sse_c_key_file_is_read_and_inherited(tmp_path: Path, folder: Path, key_path: Path) -> None:
    """[b2] SSE-C reads the key; a folder without keys inherits it; its id is not secret."""
    config = load(tmp_path, folder, b2=f'encryption = "SSE-C"\nsse_c_key_file = "{key_path}"')
    enc = config.folders[0].encryption
    assert enc is not None
    assert (enc.mode, enc.key, enc.key_id) == ("SSE-C", KEY, key_id_of(KEY))
    assert repr(KEY) not in repr(config)  # the key never shows in a repr (or a log line)


def test_folder_overrides_b2(tmp_path: Path, folder: Path, key_path: Path) -> None:
    """A folder's own encryption replaces [b2]'s."""
    config = load(
        tmp_path,
        folder,
        b2=f'encryption = "SSE-C"\nsse_c_key_file = "{key_path}"',
        fold='encryption = "SSE-B2"',
    )
    assert config.b2.encryption is not None
    assert config.b2.encryption.mode == "SSE-C"
    enc = config.folders[0].encryption
    assert enc is not None
    assert (enc.mode, enc.key) == ("SSE-B2", None)


def test_sse_c_key_from_credential(tmp_path: Path, folder: Path) -> None:
    """sse_c_key_credential reads $CREDENTIALS_DIRECTORY/<name>."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "sse").write_bytes(KEY)
    env = {**ENV, "CREDENTIALS_DIRECTORY": str(creds)}
    config = load(tmp_path, folder, env, fold='encryption = "SSE-C"\nsse_c_key_credential = "sse"')
    enc = config.folders[0].encryption
    assert enc is not None
    assert enc.key == KEY


@pytest.mark.parametrize(
    ("b2", "expected"),
    [
        ('encryption = "AES"', 'b2.encryption: must be one of "none", "SSE-B2", "SSE-C"'),
        ('encryption = "SSE-C"', 'b2.encryption: "SSE-C" needs its key'),
        ('sse_c_key_file = "/nonexistent"', 'b2.sse_c_key_file: needs encryption = "SSE-C"'),
        ('encryption = "SSE-C"\nsse_c_key_file = "/nonexistent"', "does not exist"),
        ('encryption = "SSE-C"\nsse_c_key_credential = "x"', "CREDENTIALS_DIRECTORY"),
    ],
)
def test_bad_encryption_settings(tmp_path: Path, folder: Path, b2: str, expected: str) -> None:
    """Each bad encryption setting is one line naming the key."""
    assert expected in refused(tmp_path, folder, b2=b2)


def test_key_file_must_be_private_and_256_bits(tmp_path: Path, folder: Path) -> None:
    """A group-readable or short key file is refused."""
    path = tmp_path / "k"
    path.write_bytes(KEY)
    path.chmod(0o640)
    b2 = f'encryption = "SSE-C"\nsse_c_key_file = "{path}"'
    assert "chmod 600" in refused(tmp_path, folder, b2=b2)
    path.chmod(0o600)
    path.write_bytes(KEY[:16])
    assert "exactly 32 raw bytes, not 16" in refused(tmp_path, folder, b2=b2)


def test_retention_lock_is_parsed(tmp_path: Path, folder: Path) -> None:
    """[retention.lock] gives mode and days."""
    config = load(tmp_path, folder, extra='[retention.lock]\nmode = "compliance"\ndays = 7')
    assert config.lock is not None
    assert (config.lock.mode, config.lock.days) == ("compliance", 7)


@pytest.mark.parametrize(
    ("table", "expected"),
    [
        ('mode = "strict"\ndays = 1', "retention.lock.mode: must be"),
        ('mode = "governance"', "retention.lock.days: missing"),
        ('mode = "governance"\ndays = 0', "retention.lock.days: must be between"),
        ('mode = "governance"\ndays = 1\nyears = 2', "retention.lock.years: unknown key"),
    ],
)
def test_bad_retention_lock(tmp_path: Path, folder: Path, table: str, expected: str) -> None:
    """Each bad [retention.lock] is one line naming the key."""
    assert expected in refused(tmp_path, folder, extra=f"[retention.lock]\n{table}")


def test_check_config_names_encryption_and_lock_but_never_the_key(
    tmp_path: Path, folder: Path, key_path: Path
) -> None:
    """check-config shows each folder's encryption and key id, and the lock; not the key."""
    text = base(
        tmp_path,
        folder,
        b2=f'encryption = "SSE-C"\nsse_c_key_file = "{key_path}"',
        extra='[retention.lock]\nmode = "governance"\ndays = 30',
    )
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "check-config", str(write(tmp_path, text)), "--json"],
        capture_output=True,
        text=True,
        env={**os.environ, **ENV},
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    summary = json.loads(proc.stdout)
    assert summary["folders"][0]["encryption"] == f"SSE-C (key {key_id_of(KEY)})"
    assert summary["retention_lock"] == {"mode": "governance", "days": 30}
    assert base64.b64encode(KEY).decode() not in proc.stdout + proc.stderr
