"""What any remote store holds and hands back, as plain values: a bucket, a version of
a file, the result of an upload, and a place in a local directory to download into.

Imports nothing from syncd. The B2 adapter (``syncd.b2``) builds these from B2's
answers and re-exports them; the engine uses them through its ``RemoteStore`` port
(``syncd.engine.ports``) without importing the adapter, so a second backend (B2's
S3-compatible API) can produce the same values.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

LARGE_FILE_SHA1_KEY = "large_file_sha1"
CLIENT_KEY = "syncd_client"  # file info of large files syncd starts: which client started it


@dataclass(frozen=True, slots=True, kw_only=True)
class Bucket:
    """A bucket as ``b2_list_buckets`` describes it."""

    bucket_id: str
    bucket_name: str
    bucket_type: str


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

    @property
    def is_large(self) -> bool:
        """True for a file assembled from parts (B2 reports its contentSha1 as ``none``)."""
        return self.file_info.get(LARGE_FILE_SHA1_KEY) is not None or self.action == "start"


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadResult:
    """What an upload produced: the stored version and the SHA-1 of the bytes read."""

    version: FileVersion
    sha1: str


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
