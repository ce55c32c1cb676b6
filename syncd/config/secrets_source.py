"""Where secrets come from: files only their owner can read, systemd credentials,
environment variables and, through ``keystore``, the OS keyring. The application key
(``key_env | key_file | key_credential | key_keyring``) and the SSE-C key
(``sse_c_key_file | sse_c_key_credential``) are read by the same two functions, so both
get the same checks and the same one-line errors naming the config key.
"""

from __future__ import annotations

import re
import stat
from collections.abc import Mapping
from pathlib import Path

from syncd.config.keystore import read_key, split_entry
from syncd.config.reader import TableReader

CREDENTIALS_ENV = "CREDENTIALS_DIRECTORY"  # set by systemd for units with LoadCredential=
_CREDENTIAL_RE = re.compile(r"^[A-Za-z0-9_.@-]{1,255}$")


def read_private_file(t: TableReader, field: str, path: Path) -> bytes:
    """The bytes of ``path``, a regular file only its owner can read (mode 0600)."""
    try:
        st = path.stat()
    except FileNotFoundError:
        raise t.fail(field, f"{path} does not exist") from None
    except OSError as exc:
        raise t.fail(field, f"{path}: {exc.strerror}") from None
    if not stat.S_ISREG(st.st_mode):
        raise t.fail(field, f"{path} is not a regular file")
    if st.st_mode & 0o077:
        mode = stat.S_IMODE(st.st_mode)
        raise t.fail(
            field, f"{path} is readable by group or others (mode {mode:04o}); chmod 600 it"
        )
    try:
        return path.read_bytes()
    except OSError as exc:
        raise t.fail(field, f"{path}: cannot read: {exc.strerror}") from None


def read_credential(
    t: TableReader, field: str, name: str, environ: Mapping[str, str], *, instead: str
) -> bytes:
    """The systemd credential ``name`` from ``$CREDENTIALS_DIRECTORY``; ``instead`` names
    the config key to use outside systemd."""
    if not _CREDENTIAL_RE.match(name) or name in (".", ".."):
        raise t.fail(field, f'"{name}" is not a valid credential name')
    directory = environ.get(CREDENTIALS_ENV, "")
    if not directory:
        raise t.fail(
            field,
            f"${CREDENTIALS_ENV} is not set: run syncd as a systemd service with "
            f"LoadCredential={name}:/path/to/key, or use {instead}",
        )
    path = Path(directory) / name
    try:
        return path.read_bytes()
    except FileNotFoundError:
        raise t.fail(field, f'no credential "{name}" in ${CREDENTIALS_ENV} ({directory})') from None
    except OSError as exc:
        raise t.fail(field, f"{path}: cannot read: {exc.strerror}") from None


def _text(t: TableReader, field: str, raw: bytes, where: str) -> str:
    try:
        value = raw.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise t.fail(field, f"{where}: cannot read: not UTF-8 text") from None
    if not value:
        raise t.fail(field, f"{where} is empty")
    return value


def application_key(
    t: TableReader, environ: Mapping[str, str], *, resolve: bool
) -> tuple[str, str]:
    """(the application key, where it came from) from the ``[b2]`` table; with
    ``resolve`` False only where (``status`` and ``approve`` need no key)."""
    key_env = t.optional_string("key_env")
    key_file = t.absolute_path("key_file", required=False)
    key_credential = t.optional_string("key_credential")
    key_keyring = t.optional_string("key_keyring")
    sources = ("key_env", "key_file", "key_credential", "key_keyring")
    values = (key_env, key_file, key_credential, key_keyring)
    given = [name for name, value in zip(sources, values, strict=True) if value]
    if len(given) > 1:
        raise t.fail(
            given[1],
            f"give only one of key_env, key_file, key_credential, key_keyring; "
            f"got {' and '.join(given)}",
        )
    if key_env:
        value = environ.get(key_env, "").strip() if resolve else ""
        if resolve and not value:
            raise t.fail("key_env", f"environment variable {key_env} is not set or empty")
        return value, f"env:{key_env}"
    if key_file:
        if not resolve:
            return "", f"file:{key_file}"
        raw = read_private_file(t, "key_file", key_file)
        return _text(t, "key_file", raw, str(key_file)), f"file:{key_file}"
    if key_credential:
        if not resolve:
            read_credential_name_check(t, key_credential)
            return "", f"credential:{key_credential}"
        raw = read_credential(
            t, "key_credential", key_credential, environ, instead="key_env or key_file"
        )
        value = _text(t, "key_credential", raw, f'credential "{key_credential}"')
        return value, f"credential:{key_credential}"
    if key_keyring:
        split_entry(key_keyring)
        return (read_key(key_keyring) if resolve else ""), f"keyring:{key_keyring}"
    raise t.fail(
        "key_env",
        "missing: say where the application key comes from "
        "(key_env, key_file, key_credential or key_keyring)",
    )


def read_credential_name_check(t: TableReader, name: str) -> None:
    """Refuse a credential name systemd would not accept (also without reading it)."""
    if not _CREDENTIAL_RE.match(name) or name in (".", ".."):
        raise t.fail("key_credential", f'"{name}" is not a valid credential name')
