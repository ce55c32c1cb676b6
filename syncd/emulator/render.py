"""JSON shapes of B2 objects: buckets, file versions, folders, parts, keys, authorize.

Per API version: v1 file objects carry ``size`` as well as ``contentLength`` (rclone reads
``size`` from v1 lists and ``contentLength`` from upload replies) and v1 hide replies omit
``bucketId``. File objects for ``upload``/``start``/``copy`` carry ``fileRetention``,
``legalHold`` and ``serverSideEncryption`` (b2sdk requires them); the first two and the
bucket's encryption, lock and replication settings are only readable with the matching
``read*`` capability (``isClientAuthorizedToRead: false`` otherwise). ``capabilities=None``
means "readable" (the admin API and internal callers).
Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from syncd.emulator.locks import legal_hold_json, retention_json
from syncd.emulator.models import (
    HIDE,
    NO_ENCRYPTION,
    START,
    AppKey,
    Bucket,
    Encryption,
    Part,
    Version,
)
from syncd.emulator.sse import sse_json

Capabilities = Collection[str] | None
HIDDEN = {"isClientAuthorizedToRead": False, "value": None}


def can_read(capabilities: Capabilities, capability: str) -> bool:
    """True when ``capabilities`` (None: all) include ``capability``."""
    return capabilities is None or capability in capabilities


def _readable(capabilities: Capabilities, capability: str, value: Any) -> dict[str, Any]:
    if not can_read(capabilities, capability):
        return dict(HIDDEN)
    return {"isClientAuthorizedToRead": True, "value": value}


def bucket_json(
    bucket: Bucket, account_id: str, capabilities: Capabilities = None
) -> dict[str, Any]:
    """The full bucket object b2sdk insists on."""
    lock = {
        "defaultRetention": bucket.default_retention,
        "isFileLockEnabled": bucket.file_lock_enabled,
    }
    return {
        "accountId": account_id,
        "bucketId": bucket.bucket_id,
        "bucketName": bucket.name,
        "bucketType": bucket.bucket_type,
        "bucketInfo": bucket.info,
        "corsRules": bucket.cors_rules,
        "lifecycleRules": bucket.lifecycle_rules,
        "options": [],
        "revision": bucket.revision,
        "defaultServerSideEncryption": _readable(
            capabilities, "readBucketEncryption", bucket.default_sse
        ),
        "fileLockConfiguration": _readable(capabilities, "readBucketRetentions", lock),
        "replicationConfiguration": _readable(
            capabilities, "readBucketReplications", bucket.replication
        ),
    }


def file_json(
    version: Version,
    account_id: str,
    api_version: int,
    action: str | None = None,
    capabilities: Capabilities = None,
) -> dict[str, Any]:
    """A file object as list, upload, info, hide and copy replies return it."""
    shown = action or version.action
    data: dict[str, Any] = {
        "accountId": account_id,
        "action": shown,
        "bucketId": version.bucket_id,
        "contentLength": version.size,
        "contentSha1": "none" if shown == START else version.sha1,
        "contentType": version.content_type,
        "fileId": version.file_id,
        "fileInfo": version.info,
        "fileName": version.name,
        "uploadTimestamp": version.upload_ms,
    }
    if shown == HIDE:
        if api_version == 1:
            del data["bucketId"]
    else:
        data["fileRetention"] = retention_json(
            version.lock, can_read(capabilities, "readFileRetentions")
        )
        data["legalHold"] = legal_hold_json(
            version.lock, can_read(capabilities, "readFileLegalHolds")
        )
        data["serverSideEncryption"] = sse_json(version.encryption)
    if api_version == 1:
        data["size"] = version.size
    return data


def folder_json(name: str, account_id: str, bucket_id: str, api_version: int) -> dict[str, Any]:
    """A ``folder`` entry produced by the delimiter roll-up."""
    data: dict[str, Any] = {
        "accountId": account_id,
        "action": "folder",
        "bucketId": bucket_id,
        "contentLength": 0,
        "contentSha1": None,
        "contentType": None,
        "fileId": None,
        "fileInfo": {},
        "fileName": name,
        "uploadTimestamp": 0,
    }
    if api_version == 1:
        data["size"] = 0
    return data


def part_json(part: Part, encryption: Encryption = NO_ENCRYPTION) -> dict[str, Any]:
    """One part as b2_upload_part and b2_list_parts return it."""
    return {
        "fileId": part.file_id,
        "partNumber": part.number,
        "contentLength": part.size,
        "contentSha1": part.sha1,
        "uploadTimestamp": part.upload_ms,
        "serverSideEncryption": sse_json(encryption),
    }


def key_json(
    key: AppKey, account_id: str, api_version: int, *, secret: bool = False
) -> dict[str, Any]:
    """An application key as create/list/delete key return it (v4: ``bucketIds``)."""
    data: dict[str, Any] = {
        "accountId": account_id,
        "applicationKeyId": key.key_id,
        "capabilities": list(key.capabilities),
        "expirationTimestamp": key.expires_ms,
        "keyName": key.name,
        "namePrefix": key.name_prefix,
        "options": ["s3"],
    }
    buckets = None if key.bucket_ids is None else list(key.bucket_ids)
    if api_version >= 4:
        data["bucketIds"] = buckets
    else:
        data["bucketId"] = buckets[0] if buckets else None
    if secret:
        data["applicationKey"] = key.secret
    return data


def authorize_json(
    *,
    api_version: int,
    account_id: str,
    token: str,
    base_url: str,
    key: AppKey,
    buckets: list[dict[str, Any]] | None,
    recommended_part_size: int,
    absolute_minimum_part_size: int,
    s3_url: str = "",
) -> dict[str, Any]:
    """The b2_authorize_account reply in the shape of the requested API version.

    ``buckets`` is the key's bucket restriction as ``[{"id", "name"}]`` (name None for a
    deleted bucket), or None when unrestricted.
    """
    capabilities = list(key.capabilities)
    first = buckets[0] if buckets else {"id": None, "name": None}
    urls = {"apiUrl": base_url, "downloadUrl": base_url, "s3ApiUrl": s3_url or base_url}
    sizes = {
        "recommendedPartSize": recommended_part_size,
        "absoluteMinimumPartSize": absolute_minimum_part_size,
    }
    if api_version <= 2:
        return {
            "accountId": account_id,
            "authorizationToken": token,
            **urls,
            **sizes,
            "minimumPartSize": recommended_part_size,
            "allowed": {
                "bucketId": first["id"],
                "bucketName": first["name"],
                "capabilities": capabilities,
                "namePrefix": key.name_prefix,
            },
        }
    storage: dict[str, Any] = {"infoType": "storageApi", **urls, **sizes}
    if api_version == 3:
        storage.update(
            bucketId=first["id"],
            bucketName=first["name"],
            capabilities=capabilities,
            namePrefix=key.name_prefix,
        )
    else:
        del storage["infoType"]
        storage["allowed"] = {
            "buckets": buckets,
            "capabilities": capabilities,
            "namePrefix": key.name_prefix,
        }
    return {
        "accountId": account_id,
        "authorizationToken": token,
        "applicationKeyExpirationTimestamp": key.expires_ms,
        "apiInfo": {
            "groupsApi": {},
            "storageApi": storage,
        },
    }
