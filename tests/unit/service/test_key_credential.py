"""key_credential: the key comes from $CREDENTIALS_DIRECTORY, or one readable line says why not."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.config import load_config
from syncd.errors import ConfigError


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A config that reads its key from the systemd credential "b2-key"."""
    folder = tmp_path / "data"
    folder.mkdir()
    path = tmp_path / "syncd.toml"
    path.write_text(
        f"""
[b2]
realm = "http://127.0.0.1:8180"
key_id = "kid"
key_credential = "b2-key"
[state]
dir = "{tmp_path / "state"}"
[[folder]]
path = "{folder}"
bucket = "my-bucket"
"""
    )
    return path


def test_key_is_read_from_the_credentials_directory(config_file: Path, tmp_path: Path) -> None:
    """With $CREDENTIALS_DIRECTORY/b2-key present, that file's stripped text is the key."""
    creds = tmp_path / "creds"
    creds.mkdir()
    (creds / "b2-key").write_text("secret-from-systemd\n")
    config = load_config(config_file, environ={"CREDENTIALS_DIRECTORY": str(creds)})
    assert config.b2.application_key == "secret-from-systemd"
    assert config.b2.key_source == "credential:b2-key"
    assert "secret-from-systemd" not in repr(config)


def test_unset_credentials_directory_is_one_line(config_file: Path) -> None:
    """Outside systemd the error names the key, the variable and what to do."""
    with pytest.raises(ConfigError) as caught:
        load_config(config_file, environ={})
    message = str(caught.value)
    assert message.startswith("b2.key_credential: $CREDENTIALS_DIRECTORY is not set")
    assert "\n" not in message


def test_missing_credential_file(config_file: Path, tmp_path: Path) -> None:
    """A credentials directory without b2-key says so."""
    with pytest.raises(ConfigError, match=r'b2\.key_credential: no credential "b2-key"'):
        load_config(config_file, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_empty_credential(config_file: Path, tmp_path: Path) -> None:
    """An empty credential is refused."""
    (tmp_path / "b2-key").write_text("\n")
    with pytest.raises(ConfigError, match="is empty"):
        load_config(config_file, environ={"CREDENTIALS_DIRECTORY": str(tmp_path)})


def test_only_one_key_source(config_file: Path) -> None:
    """key_credential with key_env is refused, naming both."""
    text = config_file.read_text().replace('key_id = "kid"', 'key_id = "kid"\nkey_env = "K"')
    config_file.write_text(text)
    with pytest.raises(ConfigError, match="give only one of key_env, key_file, key_credential"):
        load_config(config_file, environ={"K": "v"})


def test_bad_credential_name(config_file: Path) -> None:
    """A credential name with a slash cannot name a file in the directory."""
    config_file.write_text(config_file.read_text().replace('"b2-key"', '"../b2-key"'))
    with pytest.raises(ConfigError, match="not a valid credential name"):
        load_config(config_file, environ={"CREDENTIALS_DIRECTORY": "/nowhere"})


def test_install_loads_without_the_key(config_file: Path) -> None:
    """resolve_key=False checks the source but reads no key: install runs outside systemd."""
    config = load_config(config_file, environ={}, resolve_key=False)
    assert config.b2.application_key == ""
    assert config.b2.key_source == "credential:b2-key"
