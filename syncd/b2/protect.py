"""Encryption and Object Lock on the wire: what each write and read sends besides bytes.

Imports ``syncd.remote``, ``syncd.clock`` and ``syncd.errors``. A ``Sealer`` knows each
folder's ``WritePolicy`` (by bucket and prefix), every configured SSE-C key (by its
``sse_c_key_id``) and the clock; for one write it makes a ``Seal``: the
``X-Bz-Server-Side-Encryption*`` and ``X-Bz-File-Retention-*`` headers of an upload,
the customer-key headers of its parts, the JSON fields of ``b2_start_large_file`` and
``b2_copy_file``/``b2_copy_part``, and the ``sse_c_key_id`` file info. For reads it finds
the key an SSE-C version needs, or refuses before any request is sent. Keys never reach
a log line; only their ids do.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from syncd.clock import Clock
from syncd.errors import EncryptionKeyMissingError
from syncd.remote import (
    SSE_B2,
    SSE_C,
    SSE_C_KEY_ID_KEY,
    Bucket,
    Encryption,
    FileVersion,
    WritePolicy,
)

DAY_MS = 86_400_000
AES256 = "AES256"


def _key_b64(key: bytes) -> tuple[str, str]:
    md5 = hashlib.md5(key, usedforsecurity=False).digest()
    return base64.b64encode(key).decode("ascii"), base64.b64encode(md5).decode("ascii")


def customer_headers(encryption: Encryption | None) -> dict[str, str]:
    """The SSE-C customer-key headers (uploads, parts, downloads); empty unless SSE-C."""
    if encryption is None or encryption.mode != SSE_C or encryption.key is None:
        return {}
    key, md5 = _key_b64(encryption.key)
    return {
        "X-Bz-Server-Side-Encryption-Customer-Algorithm": AES256,
        "X-Bz-Server-Side-Encryption-Customer-Key": key,
        "X-Bz-Server-Side-Encryption-Customer-Key-Md5": md5,
    }


def encryption_json(encryption: Encryption) -> dict[str, Any]:
    """A ``serverSideEncryption``-shaped JSON object for ``encryption``."""
    if encryption.mode == SSE_C and encryption.key is not None:
        key, md5 = _key_b64(encryption.key)
        return {"mode": SSE_C, "algorithm": AES256, "customerKey": key, "customerKeyMd5": md5}
    if encryption.mode == SSE_B2:
        return {"mode": SSE_B2, "algorithm": AES256}
    return {"mode": "none"}


def source_fields(encryption: Encryption | None) -> dict[str, Any]:
    """``sourceServerSideEncryption`` for copying an SSE-C version; empty otherwise."""
    if encryption is None or encryption.mode != SSE_C:
        return {}
    return {"sourceServerSideEncryption": encryption_json(encryption)}


@dataclass(frozen=True, slots=True, kw_only=True)
class Seal:
    """The encryption and retention of one new version."""

    encryption: Encryption | None = None
    retention: tuple[str, int] | None = None  # (mode, retain until ms)
    info: Mapping[str, str] = field(default_factory=dict)

    def upload_headers(self) -> dict[str, str]:
        """Headers of ``b2_upload_file``."""
        headers: dict[str, str] = {}
        if self.encryption is not None and self.encryption.mode == SSE_B2:
            headers["X-Bz-Server-Side-Encryption"] = AES256
        headers.update(customer_headers(self.encryption))
        if self.retention is not None:
            headers["X-Bz-File-Retention-Mode"] = self.retention[0]
            headers["X-Bz-File-Retention-Retain-Until-Timestamp"] = str(self.retention[1])
        return headers

    def part_headers(self) -> dict[str, str]:
        """Headers of ``b2_upload_part`` (the SSE-C key, which every part repeats)."""
        return customer_headers(self.encryption)

    def _retention_json(self) -> dict[str, Any]:
        if self.retention is None:
            return {}
        mode, until = self.retention
        return {"fileRetention": {"mode": mode, "retainUntilTimestamp": until}}

    def start_fields(self) -> dict[str, Any]:
        """JSON fields of ``b2_start_large_file``."""
        fields = self._retention_json()
        if self.encryption is not None and self.encryption.mode != "none":
            fields["serverSideEncryption"] = encryption_json(self.encryption)
        return fields

    def copy_fields(self) -> dict[str, Any]:
        """JSON fields of ``b2_copy_file`` for the new version."""
        fields = self._retention_json()
        if self.encryption is not None and self.encryption.mode != "none":
            fields["destinationServerSideEncryption"] = encryption_json(self.encryption)
        return fields

    def copy_part_fields(self) -> dict[str, Any]:
        """JSON fields of ``b2_copy_part`` (an SSE-C large file's key)."""
        if self.encryption is None or self.encryption.mode != SSE_C:
            return {}
        return {"destinationServerSideEncryption": encryption_json(self.encryption)}


NO_SEAL = Seal()


class Sealer:
    """Write policies by folder, SSE-C keys by id, and the clock for retention dates."""

    def __init__(
        self,
        policies: Iterable[tuple[str, str, WritePolicy]] = (),
        *,
        clock: Clock | None = None,
    ) -> None:
        # Longest prefix first, so a nested prefix wins over its parent's.
        self._policies = sorted(policies, key=lambda p: (p[0], -len(p[1])))
        self._clock = clock
        self._keys: dict[str, Encryption] = {}
        for _, _, policy in self._policies:
            enc = policy.encryption
            if enc is not None and enc.mode == SSE_C and enc.key is not None and enc.key_id:
                self._keys[enc.key_id] = enc

    def policy(self, bucket: Bucket, b2_name: str) -> WritePolicy:
        """The policy of the folder ``b2_name`` belongs to (none: the bucket's defaults)."""
        for bucket_name, prefix, policy in self._policies:
            if bucket_name == bucket.bucket_name and b2_name.startswith(prefix):
                return policy
        return WritePolicy()

    def seal(self, bucket: Bucket, b2_name: str) -> Seal:
        """The encryption, retention and file info of a new version of ``b2_name``."""
        policy = self.policy(bucket, b2_name)
        retention = None
        if policy.lock is not None and self._clock is not None:
            until = self._clock.now_ms() + policy.lock.days * DAY_MS
            retention = (policy.lock.mode, until)
        enc = policy.encryption
        info = {SSE_C_KEY_ID_KEY: enc.key_id} if enc is not None and enc.key_id else {}
        return Seal(encryption=enc, retention=retention, info=info)

    def key_for(self, version: FileVersion) -> Encryption | None:
        """The SSE-C key ``version`` needs (None for other versions).

        Raises:
            EncryptionKeyMissingError: the version is SSE-C and its key is not configured.
        """
        if version.encryption != SSE_C:
            return None
        key_id = version.sse_c_key_id
        if key_id is not None and key_id in self._keys:
            return self._keys[key_id]
        if key_id is None and len(self._keys) == 1:  # written by a tool that records no id
            return next(iter(self._keys.values()))
        raise EncryptionKeyMissingError(
            f"{version.file_name!r} (version {version.file_id}) is encrypted with SSE-C key "
            f"{key_id or '(no key id recorded)'}, which is not configured "
            "(sse_c_key_file / sse_c_key_credential); it was not downloaded",
        )


def describe_lock(version: FileVersion) -> str:
    """The retention and legal hold of ``version`` in words, for messages."""
    parts = []
    if version.retention_mode is not None and version.retain_until_ms is not None:
        until = dt.datetime.fromtimestamp(version.retain_until_ms / 1000, tz=dt.UTC)
        parts.append(f"{version.retention_mode} retention until {until:%Y-%m-%d %H:%M} UTC")
    if version.legal_hold:
        parts.append("legal hold on")
    return ", ".join(parts) or "retention or legal hold"
