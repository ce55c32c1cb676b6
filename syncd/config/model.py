"""The configuration as frozen dataclasses, filled and validated by ``loader``.

Imports the siblings ``retention`` (its policy type) and ``bandwidth`` (its schedule),
and ``syncd.protection`` (the Encryption and RetentionLock values). Defaults here are
the documented defaults of ``config.example.toml``; a test keeps the two in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from syncd.config.bandwidth import BandwidthSchedule
from syncd.config.retention import RetentionPolicy
from syncd.protection import Encryption, RetentionLock

FollowSymlinks = bool | Literal["all"]
"""false: links are not followed; true: only links that resolve inside the folder;
"all": links anywhere. Loops and dangling links are never followed."""
EMBEDDED_REALM = "embedded"
PRODUCTION_REALM = "https://api.backblazeb2.com"
TEST_MODES = (
    "fail_some_uploads",
    "expire_some_account_authorization_tokens",
    "force_cap_exceeded",
)


@dataclass(frozen=True, slots=True, kw_only=True)
class B2Config:
    """How to reach B2 and with which key. ``application_key`` is already resolved."""

    realm: str = PRODUCTION_REALM  # a URL, or "embedded"
    api: str = "native"  # "native" | "s3": B2's native API or its S3-compatible API
    s3_endpoint: str | None = None  # the S3 API's URL (None: the embedded emulator's)
    region: str | None = None  # SigV4 region; derived from B2's S3 endpoints
    key_id: str
    application_key: str = field(repr=False)
    key_source: str  # "env:NAME", "file:/path", "credential:NAME", "keyring:S/U", "embedded"
    test_mode: str | None = None
    content_type: str = "b2/x-auto"
    large_file_threshold_bytes: int | None = None  # None: 2 x recommendedPartSize
    part_size_bytes: int | None = None  # None: recommendedPartSize
    upload_threads: int = 4  # parallel parts of one large file
    download_parallel_threshold_bytes: int = 200_000_000
    download_threads: int = 4
    connect_timeout_s: float = 30.0
    read_timeout_s: float = 60.0
    upload_read_timeout_s: float = 180.0
    max_attempts: int = 8
    backoff_base_s: float = 1.0
    backoff_cap_s: float = 64.0
    # Uploads and downloads of every worker, by local time of day (``bandwidth.py``);
    # ``[b2] max_upload_bytes_per_s`` (deprecated) reads as an upload-only schedule.
    bandwidth: BandwidthSchedule = field(default_factory=BandwidthSchedule)
    daily_class_c_budget: int | None = None  # reconcile listings wait past this many a day
    encryption: Encryption | None = None  # None: the bucket's default encryption


@dataclass(frozen=True, slots=True, kw_only=True)
class StateConfig:
    """Where the journal, caches and (for the embedded realm) emulator data live."""

    dir: Path


@dataclass(frozen=True, slots=True, kw_only=True)
class LogConfig:
    """Log level and format; ``auto`` means JSON lines unless stdout is a TTY."""

    level: str = "info"
    format: str = "auto"  # "auto" | "json" | "console"


@dataclass(frozen=True, slots=True, kw_only=True)
class SyncConfig:
    """How the daemon paces work."""

    workers: int = 4
    settle_s: float = 2.0
    max_deferral_s: float = 300.0
    delete_hold_s: float = 10.0
    lease_s: float = 600.0
    hang_after_s: float = 60.0  # a worker without progress in a local step this long is hung
    rescan_interval_s: float = 3600.0
    reconcile_interval_s: float = 86400.0
    jitter_s: float = 60.0
    delete: str = "hide"  # "hide" | "keep" | "delete-all-versions"
    touch: str = "copy"  # "copy" | "upload" | "ignore"
    conflict: str = "keep-both"  # "keep-both" | "local-wins" | "remote-wins"
    mass_delete_ratio: float = 0.5
    mass_delete_count: int = 1000
    retry_base_s: float = 5.0
    retry_cap_s: float = 3600.0


@dataclass(frozen=True, slots=True, kw_only=True)
class MetricsConfig:
    """The Prometheus endpoint of the daemon; off unless ``listen`` is given."""

    host: str | None = None  # None: no metrics endpoint
    port: int = 9464


@dataclass(frozen=True, slots=True, kw_only=True)
class FolderConfig:
    """One local folder and where it goes in B2."""

    name: str
    path: Path
    bucket: str
    prefix: str = ""
    exclude: tuple[str, ...] = ()  # gitignore-style patterns
    exclude_if_present: str | None = ".nobackup"
    max_size_bytes: int | None = None
    follow_symlinks: FollowSymlinks = False
    one_file_system: bool = True
    # [retention] with [folder.retention] over it
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)
    encryption: Encryption | None = None  # resolved: the folder's own, else [b2]'s


@dataclass(frozen=True, slots=True, kw_only=True)
class Config:
    """The whole validated configuration."""

    source: Path
    b2: B2Config
    state: StateConfig
    log: LogConfig
    sync: SyncConfig
    folders: tuple[FolderConfig, ...]
    metrics: MetricsConfig = field(default_factory=MetricsConfig)
    retention: RetentionPolicy = field(default_factory=RetentionPolicy)  # global [retention]
    lock: RetentionLock | None = None  # [retention.lock]
