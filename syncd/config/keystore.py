"""The OS keyring as a key source (``key_keyring = "SERVICE/USER"``): the one module
that imports the ``keyring`` library (an optional extra: ``pip install syncd[keyring]``).

Imports ``syncd.errors``. The library picks the platform's store (macOS Keychain,
Windows Credential Locker, the Secret Service on a Linux desktop); a headless server
has none, which is why systemd credentials and key files stay the default there.
"""

from __future__ import annotations

from typing import Any

from syncd.errors import ConfigError

INSTALL_HINT = "the keyring library is not installed: pip install 'syncd[keyring]'"


def _keyring() -> Any:
    try:
        import keyring  # noqa: PLC0415 (optional: loaded only when a config names it)
    except ImportError:
        raise ConfigError(INSTALL_HINT) from None
    return keyring


def split_entry(entry: str) -> tuple[str, str]:
    """``"SERVICE/USER"`` -> (service, user); ConfigError when either is missing."""
    service, sep, user = entry.partition("/")
    if not sep or not service or not user:
        raise ConfigError(
            f'b2.key_keyring: must be "SERVICE/USER" like "syncd/KEYID"; got "{entry}"'
        )
    return service, user


def read_key(entry: str) -> str:
    """The key stored under ``entry``.

    Raises:
        ConfigError: no keyring library or backend, or no key stored there.
    """
    service, user = split_entry(entry)
    keyring = _keyring()
    try:
        value = keyring.get_password(service, user)
    except keyring.errors.KeyringError as exc:
        raise ConfigError(f"b2.key_keyring: the keyring cannot be read: {exc}") from None
    if not value:
        raise ConfigError(
            f'b2.key_keyring: no key stored for "{entry}"; store one with syncd auth set'
        )
    return str(value).strip()


def store_key(entry: str, key: str) -> None:
    """Store ``key`` under ``entry`` (replacing what is there).

    Raises:
        ConfigError: no keyring library or backend, or the store refused.
    """
    service, user = split_entry(entry)
    keyring = _keyring()
    try:
        keyring.set_password(service, user, key)
    except keyring.errors.KeyringError as exc:
        raise ConfigError(f"b2.key_keyring: the keyring refused the key: {exc}") from None
