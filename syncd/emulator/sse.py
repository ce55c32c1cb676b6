"""Server-side encryption as the emulator models it: what a request asks for, key checks.

The emulator never encrypts anything on disk: contents are stored as sent. It records
each version's mode (``SSE-B2`` or ``SSE-C``), algorithm and, for SSE-C, the base64 MD5
of the customer key (never the key). What it does guarantee is B2's access rule: bytes
of an SSE-C version (download, HEAD, copy source) are only served to a request carrying
the same key. A missing key is ``400 bad_request``, a different key ``403 access_denied``.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any

from syncd.emulator.models import NO_ENCRYPTION, Bucket, Encryption
from syncd.emulator.problem import ApiError, bad_request

SSE_B2 = "SSE-B2"
SSE_C = "SSE-C"
AES256 = "AES256"
KEY_BYTES = 32
H_SSE = "x-bz-server-side-encryption"
H_ALGORITHM = "x-bz-server-side-encryption-customer-algorithm"
H_KEY = "x-bz-server-side-encryption-customer-key"
H_KEY_MD5 = "x-bz-server-side-encryption-customer-key-md5"


def key_md5_of(key_b64: str) -> str:
    """The base64 MD5 of a base64 customer key, after checking it is 256 bits.

    Raises:
        ApiError: 400 when the key is not base64 of 32 bytes.
    """
    try:
        raw = base64.b64decode(key_b64, validate=True)
    except (binascii.Error, ValueError):
        raise bad_request("the SSE-C customer key is not valid base64") from None
    if len(raw) != KEY_BYTES:
        raise bad_request(f"the SSE-C customer key must be {KEY_BYTES} bytes, not {len(raw)}")
    return base64.b64encode(hashlib.md5(raw, usedforsecurity=False).digest()).decode("ascii")


def _customer(algorithm: str | None, key: str | None, key_md5: str | None) -> Encryption:
    if algorithm != AES256:
        raise bad_request(f"SSE-C algorithm must be {AES256}, not {algorithm!r}")
    if not key:
        raise bad_request("SSE-C needs the customer key")
    actual = key_md5_of(key)
    if key_md5 is not None and key_md5 != actual:
        raise bad_request("the SSE-C customer key MD5 does not match the key")
    return Encryption(mode=SSE_C, algorithm=AES256, key_md5=actual)


def from_headers(headers: Mapping[str, str]) -> Encryption | None:
    """The encryption a request's ``X-Bz-Server-Side-Encryption*`` headers ask for, or None.

    Raises:
        ApiError: 400 for an unknown algorithm, a bad key, or SSE-B2 and SSE-C together.
    """
    sse_b2 = headers.get(H_SSE)
    customer = headers.get(H_ALGORITHM) or headers.get(H_KEY)
    if sse_b2 is not None and customer is not None:
        raise bad_request("SSE-B2 and SSE-C headers cannot be combined")
    if sse_b2 is not None:
        if sse_b2 != AES256:
            raise bad_request(f"X-Bz-Server-Side-Encryption must be {AES256}, not {sse_b2!r}")
        return Encryption(mode=SSE_B2, algorithm=AES256)
    if customer is None:
        return None
    return _customer(headers.get(H_ALGORITHM), headers.get(H_KEY), headers.get(H_KEY_MD5))


def from_json(value: dict[str, Any] | None, field: str) -> Encryption | None:
    """The encryption a JSON ``serverSideEncryption``-style object asks for, or None.

    Raises:
        ApiError: 400 for an unknown mode or algorithm or a bad SSE-C key.
    """
    if value is None:
        return None
    mode = value.get("mode")
    if mode in (None, "none"):
        return NO_ENCRYPTION
    if mode == SSE_B2:
        if value.get("algorithm", AES256) != AES256:
            raise bad_request(f"{field}: algorithm must be {AES256}")
        return Encryption(mode=SSE_B2, algorithm=AES256)
    if mode == SSE_C:
        return _customer(
            value.get("algorithm"), value.get("customerKey"), value.get("customerKeyMd5")
        )
    raise bad_request(f"{field}: mode must be none, {SSE_B2} or {SSE_C}")


def for_write(requested: Encryption | None, bucket: Bucket) -> Encryption:
    """A new version's encryption: what was asked for, else the bucket default."""
    if requested is not None:
        return requested
    if bucket.default_sse.get("mode") == SSE_B2:
        return Encryption(mode=SSE_B2, algorithm=AES256)
    return NO_ENCRYPTION


def require_key(stored: Encryption, supplied: Encryption | None, file_id: str) -> None:
    """Refuse access to an SSE-C version unless ``supplied`` carries the same key.

    Raises:
        ApiError: 400 bad_request without a key, 403 access_denied with another key.
    """
    if stored.mode != SSE_C:
        return
    if supplied is None or supplied.mode != SSE_C:
        raise bad_request(
            f"file {file_id} is encrypted with SSE-C: the request must carry its customer key"
        )
    if supplied.key_md5 != stored.key_md5:
        raise ApiError(403, "access_denied", f"wrong SSE-C key for file {file_id}")


def sse_json(encryption: Encryption) -> dict[str, Any]:
    """``serverSideEncryption`` of a file object (mode and algorithm null when none)."""
    return {"mode": encryption.mode, "algorithm": encryption.algorithm}


def sse_headers(encryption: Encryption) -> list[tuple[str, str]]:
    """Download reply headers naming the version's encryption (none for plain files)."""
    if encryption.mode == SSE_B2:
        return [("X-Bz-Server-Side-Encryption", encryption.algorithm or AES256)]
    if encryption.mode == SSE_C:
        return [
            ("X-Bz-Server-Side-Encryption-Customer-Algorithm", encryption.algorithm or AES256),
            ("X-Bz-Server-Side-Encryption-Customer-Key-Md5", encryption.key_md5 or ""),
        ]
    return []
