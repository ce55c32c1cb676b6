"""Encryption and Object Lock, from the config to the client: write policies per folder,
and the start-up check that a ``[retention.lock]`` bucket really has Object Lock.

Imports ``syncd.config``, ``syncd.remote`` and ``syncd.errors``.
"""

from __future__ import annotations

from syncd.config import Config, FolderConfig
from syncd.errors import ConfigError
from syncd.remote import Bucket, WritePolicy

LOCK_CAPABILITIES = frozenset({"readBucketRetentions", "writeFileRetentions"})


def write_policies(config: Config) -> list[tuple[str, str, WritePolicy]]:
    """(bucket name, prefix, policy) for every folder: its encryption and the lock."""
    return [
        (folder.bucket, folder.prefix, WritePolicy(encryption=folder.encryption, lock=config.lock))
        for folder in config.folders
    ]


NEEDED_CAPABILITIES = frozenset({"listBuckets", "listFiles", "readFiles", "writeFiles"})


def folder_capabilities(config: Config, folder: FolderConfig) -> frozenset[str]:
    """What the key needs on a folder's bucket and prefix to sync it: read and write,
    ``deleteFiles`` for hard deletes or a scheduled prune, the lock's for Object Lock."""
    need = NEEDED_CAPABILITIES
    if config.lock is not None:
        need = need | LOCK_CAPABILITIES
    if config.sync.delete == "delete-all-versions" or folder.retention.is_configured:
        need = need | {"deleteFiles"}
    return need


def check_lock(config: Config, folder: FolderConfig, bucket: Bucket) -> None:
    """Refuse to start when ``[retention.lock]`` is set and the bucket has no Object Lock.

    Raises:
        ConfigError: one line saying which bucket and how to fix it (exit 78).
    """
    if config.lock is None or bucket.file_lock_enabled:
        return
    state = "is not readable with this key" if bucket.file_lock_enabled is None else "is off"
    raise ConfigError(
        f"retention.lock: bucket {folder.bucket} (folder {folder.name}) needs Object Lock, "
        f"but its file lock {state}; enable it (b2 bucket update --file-lock-enabled "
        f"{folder.bucket}) or remove [retention.lock]"
    )
