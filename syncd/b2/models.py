"""Typed values of B2's answers: nothing above ``syncd.b2.raw`` sees a dict.

Imports ``syncd.remote``, whose value types (``Bucket``, ``FileVersion``,
``UploadResult``) any remote store shares; they are re-exported here.
``syncd.b2.parse`` builds these from JSON, strictly, so
a hostile or broken response never becomes a ``KeyError`` upstream. The wire names
(``src_last_modified_millis``, ``large_file_sha1``) live here, in ``parse`` and in
``raw``; everything else speaks ``src_last_modified_ms`` and ``content_sha1``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from syncd.remote import LARGE_FILE_SHA1_KEY, Bucket, FileVersion, UploadResult

SRC_LAST_MODIFIED_KEY = "src_last_modified_millis"
MAX_NAME_BYTES = 1024
MAX_FILE_BYTES = 10 * 10**12  # B2's 10 TB ceiling
MAX_INFO_ENTRIES = 100
MAX_INFO_BYTES = 64 * 1024


@dataclass(frozen=True, slots=True, kw_only=True)
class AllowedBucket:
    """One bucket an application key is restricted to; ``name`` None: bucket deleted."""

    bucket_id: str
    name: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class Allowed:
    """What the key may do; ``buckets`` None means every bucket of the account."""

    buckets: tuple[AllowedBucket, ...] | None
    name_prefix: str | None
    capabilities: frozenset[str]


@dataclass(frozen=True, slots=True, kw_only=True)
class Authorization:
    """The answer of ``b2_authorize_account``; ``account_id`` is never the key id."""

    account_id: str
    authorization_token: str = field(repr=False)
    api_url: str
    download_url: str
    recommended_part_size: int
    absolute_minimum_part_size: int
    allowed: Allowed


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadTarget:
    """An upload (or part upload) URL with its own token; one thread at a time."""

    upload_url: str
    authorization_token: str = field(repr=False)
    owner_id: str  # bucketId for simple uploads, fileId for parts


@dataclass(frozen=True, slots=True, kw_only=True)
class PartInfo:
    """One stored part of an unfinished large file."""

    file_id: str
    part_number: int
    size: int
    content_sha1: str


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionPage:
    """One page of ``b2_list_file_versions`` (or of names, with ``next_file_id`` None)."""

    files: tuple[FileVersion, ...]
    next_file_name: str | None
    next_file_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class UnfinishedPage:
    """One page of ``b2_list_unfinished_large_files``."""

    files: tuple[FileVersion, ...]
    next_file_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class PartPage:
    """One page of ``b2_list_parts``."""

    parts: tuple[PartInfo, ...]
    next_part_number: int | None


__all__ = [
    "LARGE_FILE_SHA1_KEY",
    "MAX_FILE_BYTES",
    "MAX_INFO_BYTES",
    "MAX_INFO_ENTRIES",
    "MAX_NAME_BYTES",
    "SRC_LAST_MODIFIED_KEY",
    "Allowed",
    "AllowedBucket",
    "Authorization",
    "Bucket",
    "FileVersion",
    "PartInfo",
    "PartPage",
    "UnfinishedPage",
    "UploadResult",
    "UploadTarget",
    "VersionPage",
]
