"""What any remote store holds and hands back, as plain values: a bucket, a version of
a file, the result of an upload, and a place in a local directory to download into.

Imports only ``syncd.protection``, whose Encryption and RetentionLock it re-exports. The
B2 adapter (``syncd.b2``) builds these from B2's answers and re-exports them; the engine
uses them through its ``RemoteStore`` port (``syncd.engine.ports``) without importing the
adapter, so a second backend (B2's S3-compatible API) can produce the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from syncd.protection import SSE_B2, SSE_C, Encryption, RetentionLock

LARGE_FILE_SHA1_KEY = "large_file_sha1"
CLIENT_KEY = "syncd_client"  # file info of large files syncd starts: which client started it
SSE_C_KEY_ID_KEY = "sse_c_key_id"  # b2sdk's file-info key naming a version's SSE-C key


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """A bucket as ``b2_list_buckets`` describes it."""

    bucket_id: str
    bucket_name: str
    bucket_type: str
    file_lock_enabled: bool | None = None  # None: not known (the key cannot read it)


@dataclass(frozen=True, slots=True, kw_only=True)
class FileVersion:
    """One version of a file: an upload, a hide marker, an unfinished large file."""

    file_id: str
    file_name: str
    action: str  # "upload" | "hide" | "start" | "copy" | "folder"
    size: int
    content_sha1: str | None  # resolved: contentSha1, else large_file_sha1; lowercase hex
    is_sha1_verified: bool  # False when B2 reported "unverified:<sha1>"
    content_type: str | None
    upload_timestamp_ms: int
    src_last_modified_ms: int | None
    file_info: Mapping[str, str]
    bucket_id: str | None = None
    encryption: str | None = None  # None (plain), "SSE-B2" or "SSE-C", as the store reports
    retention_mode: str | None = None  # "governance" | "compliance" | None
    retain_until_ms: int | None = None
    legal_hold: bool | None = None  # None: not set (or not readable)

    @property
    def sse_c_key_id(self) -> str | None:
        """The id of the SSE-C key this version needs (from its file info), if recorded."""
        return self.file_info.get(SSE_C_KEY_ID_KEY)

    def is_locked(self, now_ms: int) -> bool:
        """True while a retention date lies ahead or a legal hold is on."""
        held = (self.retain_until_ms or 0) > now_ms and self.retention_mode is not None
        return held or bool(self.legal_hold)

    @property
    def is_large(self) -> bool:
        """True for a file assembled from parts (B2 reports its contentSha1 as ``none``)."""
        return self.file_info.get(LARGE_FILE_SHA1_KEY) is not None or self.action == "start"


@dataclass(frozen=True, slots=True, kw_only=True)
class WritePolicy:
    """What a folder's writes ask of the store besides bytes: encryption and retention.

    ``encryption`` None leaves the bucket's default encryption in force.
    """

    encryption: Encryption | None = None
    lock: RetentionLock | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadResult:
    """What an upload produced: the stored version, the SHA-1 of the bytes read, and
    whether it was sent in parts (it finished the path's recorded large upload)."""

    version: FileVersion
    sha1: str
    in_parts: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionsPage:
    """One page of a version listing and where the next one starts (None: the end)."""

    versions: tuple[FileVersion, ...]
    next_start: tuple[str, str | None] | None  # (file name, file id) of the next page


@dataclass(frozen=True, slots=True, kw_only=True)
class LargeStart:
    """A large upload this client started, as recorded so a restart resumes exactly it."""

    file_id: str
    sha1: str  # of the whole file
    mtime_ms: int
    part_size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class Resume:
    """How a large upload of one path picks up where an earlier run stopped: what was
    recorded for the path (read only when the file is large), and where to record a new
    start (before any part is sent)."""

    recorded: Callable[[], LargeStart | None]
    record: Callable[[LargeStart], None]


@dataclass(frozen=True, slots=True)
class DirEntry:
    """``name`` inside the directory open as ``dir_fd`` (which the caller owns)."""

    dir_fd: int
    name: str


__all__ = [
    "CLIENT_KEY",
    "LARGE_FILE_SHA1_KEY",
    "SSE_B2",
    "SSE_C",
    "SSE_C_KEY_ID_KEY",
    "Bucket",
    "DirEntry",
    "Encryption",
    "FileVersion",
    "LargeStart",
    "Resume",
    "RetentionLock",
    "UploadResult",
    "VersionsPage",
    "WritePolicy",
]
