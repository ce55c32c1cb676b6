"""Encryption (``encryption``, ``sse_c_key_file``, ``sse_c_key_credential``) and Object
Lock (``[retention.lock]``) settings: parsed here, apart from the rest of the loader.

Imports ``syncd.config.reader``, ``syncd.protection`` and ``syncd.errors``. The SSE-C key is
256 raw bits read from a file only its owner can read (mode 0600, like ``key_file``) or
from a systemd credential; what the rest of syncd sees of it besides the bytes is a
short id derived with SHA-256 (never the key, never its MD5, which B2 also sees).
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from syncd.config.reader import TableReader
from syncd.config.secrets_source import read_credential, read_private_file
from syncd.protection import SSE_B2, SSE_C, Encryption, RetentionLock

ENCRYPTION_MODES = ("none", SSE_B2, SSE_C)
LOCK_MODES = ("governance", "compliance")
KEY_BYTES = 32
_KEY_ID_CONTEXT = b"syncd sse-c key id\0"


def key_id_of(key: bytes) -> str:
    """A short, non-secret name for an SSE-C key (recorded as ``sse_c_key_id``)."""
    import hashlib  # noqa: PLC0415 (only an SSE-C key needs it; `syncd status` does not)

    return "syncd-" + hashlib.sha256(_KEY_ID_CONTEXT + key).hexdigest()[:16]


def read_encryption(
    t: TableReader,
    environ: Mapping[str, str],
    *,
    inherited: Encryption | None,
    resolve: bool = True,
) -> Encryption | None:
    """The table's encryption (``[b2]`` or a ``[[folder]]``); absent keys inherit.

    Returns None for "the bucket's default encryption".
    """
    mode = t.optional_string("encryption")
    key_file = t.absolute_path("sse_c_key_file", required=False)
    credential = t.optional_string("sse_c_key_credential")
    if key_file is not None and credential is not None:
        raise t.fail(
            "sse_c_key_credential", "give only one of sse_c_key_file and sse_c_key_credential"
        )
    given = "sse_c_key_file" if key_file is not None else "sse_c_key_credential"
    if mode is None:
        if key_file is not None or credential is not None:
            raise t.fail(given, 'needs encryption = "SSE-C" in the same table')
        return inherited
    if mode not in ENCRYPTION_MODES:
        raise t.fail("encryption", f'must be one of "none", "SSE-B2", "SSE-C"; got "{mode}"')
    if mode != SSE_C:
        if key_file is not None or credential is not None:
            raise t.fail(given, f'is only used with encryption = "SSE-C", not "{mode}"')
        return Encryption(mode=mode)
    if key_file is None and credential is None:
        if inherited is not None and inherited.mode == SSE_C:
            return inherited
        raise t.fail(
            "encryption", '"SSE-C" needs its key: set sse_c_key_file or sse_c_key_credential'
        )
    if not resolve:
        return Encryption(mode=SSE_C)
    if key_file is not None:
        key = _read_key_file(t, key_file)
    else:
        assert credential is not None
        key = _read_credential(t, credential, environ)
    return Encryption(mode=SSE_C, key=key, key_id=key_id_of(key))


def _check_key(t: TableReader, field: str, key: bytes, where: str) -> bytes:
    if len(key) != KEY_BYTES:
        raise t.fail(field, f"{where} must hold exactly {KEY_BYTES} raw bytes, not {len(key)}")
    return key


def _read_key_file(t: TableReader, path: Path) -> bytes:
    field = "sse_c_key_file"
    return _check_key(t, field, read_private_file(t, field, path), str(path))


def _read_credential(t: TableReader, name: str, environ: Mapping[str, str]) -> bytes:
    field = "sse_c_key_credential"
    raw = read_credential(t, field, name, environ, instead="sse_c_key_file")
    return _check_key(t, field, raw, f'credential "{name}"')


def read_lock(retention: TableReader) -> RetentionLock | None:
    """``[retention.lock]``: Object Lock retention for every new version, or None.

    Only the ``lock`` sub-table is read here; the ``[retention]`` table's own keys belong
    to the retention (prune) settings.
    """
    if not retention.has("lock"):
        retention.table("lock")  # mark it seen: absent is fine
        return None
    t = retention.table("lock")
    mode = t.string("mode", required=True)
    if mode not in LOCK_MODES:
        raise t.fail("mode", f'must be "governance" or "compliance"; got "{mode}"')
    days = t.integer("days", None, minimum=1, maximum=36_500)
    if days is None:
        raise t.fail("days", "missing (required): how many days each new version stays locked")
    t.finish()
    return RetentionLock(mode=mode, days=days)
