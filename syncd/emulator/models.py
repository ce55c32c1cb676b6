"""Frozen records the stores return: buckets, file versions, parts, keys, content segments.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

UPLOAD = "upload"
HIDE = "hide"
START = "start"
HIDE_MARKER_TYPE = "application/x-bz-hide-marker"


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """One bucket as stored."""

    bucket_id: str
    name: str
    bucket_type: str
    info: dict[str, Any]
    cors_rules: list[Any]
    lifecycle_rules: list[Any]
    revision: int
    file_lock_enabled: bool
    default_sse: dict[str, Any]
    default_retention: dict[str, Any] = field(
        default_factory=lambda: {"mode": None, "period": None}
    )
    replication: dict[str, Any] | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Encryption:
    """How a version is encrypted at rest: mode None, ``SSE-B2`` or ``SSE-C``.

    ``key_md5`` is the base64 MD5 of the SSE-C customer key (never the key itself).
    """

    mode: str | None = None
    algorithm: str | None = None
    key_md5: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class FileLock:
    """Object Lock state of a version: retention (mode, until) and legal hold."""

    mode: str | None = None
    retain_until_ms: int | None = None
    legal_hold: str | None = None


NO_ENCRYPTION = Encryption()
NO_LOCK = FileLock()


@dataclass(frozen=True, slots=True, kw_only=True)
class Version:
    """One file version: an upload, a hide marker or an unfinished large file (start)."""

    seq: int
    file_id: str
    bucket_id: str
    name: str
    action: str
    size: int
    sha1: str | None
    content_type: str | None
    info: dict[str, str]
    upload_ms: int
    is_large: bool
    encryption: Encryption = NO_ENCRYPTION
    lock: FileLock = NO_LOCK


@dataclass(frozen=True, slots=True, kw_only=True)
class Segment:
    """A slice of a stored content blob; a version's content is a list of these."""

    blob: str
    offset: int
    length: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Part:
    """One uploaded part of an unfinished large file."""

    file_id: str
    number: int
    blob: str
    size: int
    sha1: str
    upload_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AppKey:
    """An application key: the master key (from options) or one made by b2_create_key."""

    key_id: str
    secret: str
    name: str
    capabilities: tuple[str, ...]
    bucket_ids: tuple[str, ...] | None
    name_prefix: str | None
    expires_ms: int | None
    is_master: bool = False
