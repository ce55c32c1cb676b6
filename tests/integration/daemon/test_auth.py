"""``key_keyring`` and ``syncd auth set``: a key stored without echo, then used against
the emulator over HTTP; a key file written 0600."""

from __future__ import annotations

import json
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.filekeyring import BACKEND, FILE_ENV
from tests.support.harness import KEY_ENV, Setup, sync_now

pytestmark = pytest.mark.integration


def use_source(setup: Setup, line: str) -> None:
    """Replace the config's key_env line with ``line``."""
    text = setup.config.read_text().replace(f'key_env = "{KEY_ENV}"', line)
    setup.config.write_text(text)


def auth_set(setup: Setup, key: str) -> subprocess.CompletedProcess[str]:
    """``syncd auth set`` with the key on stdin."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", "auth", "set", "--config", str(setup.config)],
        input=key + "\n", capture_output=True, text=True, env=setup.env(), timeout=60,
        check=False,
    )  # fmt: skip


def test_key_in_the_keyring_is_stored_then_used_to_sync(setup: Setup, tmp_path: Path) -> None:
    """auth set stores the key in the keyring (never echoed); sync-now then authorizes with it."""
    store = tmp_path / "keyring.json"
    setup.extra_env.update({"PYTHON_KEYRING_BACKEND": BACKEND, FILE_ENV: str(store)})
    setup.extra_env[KEY_ENV] = ""  # the environment no longer holds the key
    use_source(setup, f'key_keyring = "syncd/{setup.key_id}"')
    code, _, err = sync_now(setup)
    assert code == 78
    assert "syncd auth set" in err
    result = auth_set(setup, setup.key)
    assert result.returncode == 0, result.stderr
    assert setup.key not in result.stdout + result.stderr
    assert json.loads(store.read_text()) == {f"syncd/{setup.key_id}": setup.key}
    (setup.root / "a").write_text("a")
    code, summary, err = sync_now(setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 1


def test_key_file_is_written_private(setup: Setup, tmp_path: Path) -> None:
    """auth set writes the key file with mode 0600; an env source is refused (exit 2)."""
    key_file = tmp_path / "b2-key"
    result = auth_set(setup, setup.key)
    assert result.returncode == 2
    assert KEY_ENV in result.stderr
    use_source(setup, f'key_file = "{key_file}"')
    assert auth_set(setup, setup.key).returncode == 0
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text().strip() == setup.key
