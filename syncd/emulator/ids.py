"""Realistic opaque identifiers: account, bucket, file, key ids and tokens.

Shapes mimic Backblaze's (12-hex account id, 24-hex bucket id,
``4_z<bucketId>_f1…`` file ids) so clients that log or parse them see familiar values.
Randomness comes from ``secrets``; ids need no determinism.
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

_HEX12 = re.compile(r"[0-9a-f]{12}")


def account_id_for(master_key_id: str) -> str:
    """The account id of the master key: the key id itself if it already is 12 hex."""
    if _HEX12.fullmatch(master_key_id):
        return master_key_id
    return hashlib.sha1(master_key_id.encode("utf-8"), usedforsecurity=False).hexdigest()[:12]


def new_bucket_id() -> str:
    """24 lowercase hex characters."""
    return secrets.token_hex(12)


def new_file_id(bucket_id: str, now_ms: int, *, large: bool) -> str:
    """A file id shaped like ``4_z<bucketId>_f1<15 hex>_d20240101_m120000_c000_…``."""
    moment = dt.datetime.fromtimestamp(now_ms / 1000, tz=dt.UTC)
    return (
        f"4_z{bucket_id}_f{2 if large else 1}{secrets.token_hex(8)[:15]}"
        f"_d{moment:%Y%m%d}_m{moment:%H%M%S}_c000_v0001000_t{secrets.randbelow(10_000):04d}"
        f"_u01{now_ms:013d}"
    )


def new_token(account_id: str, kind: str) -> str:
    """An opaque token: ``4_<accountId>_<48 hex>_<kind>``; kind is acct, upld or dnld."""
    return f"4_{account_id}_{secrets.token_hex(24)}_{kind}"


def new_key_id(account_id: str) -> str:
    """A 25-character application key id starting with ``004`` and the account id."""
    return f"004{account_id}{secrets.randbelow(10**10):010d}"


def new_key_secret() -> str:
    """A 31-character application key secret."""
    return "K004" + secrets.token_urlsafe(21)[:27]


def new_blob_id() -> str:
    """A name for one stored content file."""
    return secrets.token_hex(16)
