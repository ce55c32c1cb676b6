"""Strict JSON → ``models`` parsers: every field checked for type and bounds.

Imports ``syncd.errors`` and ``syncd.b2.models``. Anything B2 would not send (missing
fields, wrong types, absurd sizes, over-long names, huge file info) raises
``RemoteProtocolError``; SHA-1s are resolved here by the interop rules
(``none`` ⇒ ``large_file_sha1``, ``unverified:`` stripped, lowercase hex).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from syncd.b2.models import (
    LARGE_FILE_SHA1_KEY,
    MAX_FILE_BYTES,
    MAX_INFO_BYTES,
    MAX_INFO_ENTRIES,
    MAX_NAME_BYTES,
    SRC_LAST_MODIFIED_KEY,
    Allowed,
    AllowedBucket,
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
    UploadTarget,
)
from syncd.errors import RemoteProtocolError

Json = Mapping[str, Any]
_SHA1 = re.compile(r"[0-9a-f]{40}")
_MTIME_RE = re.compile(r"-?[0-9]{1,19}")


# --- field readers: one place that knows how to be strict -------------------------------


def _bad(what: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"B2 response has a missing or invalid {what}", code="bad_response")


def get_str(obj: Json, key: str, *, max_len: int = 4096) -> str:
    """A required string field, bounded in length."""
    value = obj.get(key)
    if not isinstance(value, str) or len(value) > max_len:
        raise _bad(key)
    return value


def get_opt_str(obj: Json, key: str, *, max_len: int = 4096) -> str | None:
    """An optional string field; JSON null and absence both mean None."""
    if obj.get(key) is None:
        return None
    return get_str(obj, key, max_len=max_len)


def get_int(obj: Json, key: str, *, low: int = 0, high: int = 2**63) -> int:
    """A required integer field within [low, high]; booleans are not integers."""
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _bad(key)
    return value


def get_opt_int(obj: Json, key: str, *, low: int = 0, high: int = 2**63) -> int | None:
    """An optional integer field."""
    if obj.get(key) is None:
        return None
    return get_int(obj, key, low=low, high=high)


def get_obj(obj: Json, key: str) -> Json:
    """A required JSON object field."""
    value = obj.get(key)
    if not isinstance(value, dict):
        raise _bad(key)
    return value


def get_list(obj: Json, key: str, *, max_len: int) -> list[Any]:
    """A required JSON array field, at most ``max_len`` long."""
    value = obj.get(key)
    if not isinstance(value, list) or len(value) > max_len:
        raise _bad(key)
    return value


def _file_name(obj: Json) -> str:
    name = get_str(obj, "fileName", max_len=MAX_NAME_BYTES)
    if len(name.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
        raise _bad("fileName")
    return name


def _file_info(obj: Json) -> dict[str, str]:
    raw = obj.get("fileInfo")
    if raw is None:
        return {}
    if not isinstance(raw, dict) or len(raw) > MAX_INFO_ENTRIES:
        raise _bad("fileInfo")
    info: dict[str, str] = {}
    total = 0
    for key, value in raw.items():
        if not isinstance(value, str):
            raise _bad("fileInfo value")
        total += len(key) + len(value)
        info[key] = value
    if total > MAX_INFO_BYTES:
        raise _bad("fileInfo size")
    return info


def parse_sha1(value: str | None) -> str | None:
    """A lowercase 40-hex SHA-1, or None for absent, ``none`` or anything malformed."""
    if value is None:
        return None
    value = value.strip().lower()
    if value.startswith("unverified:"):
        value = value[len("unverified:") :]
    return value if _SHA1.fullmatch(value) else None


def resolve_sha1(content_sha1: str | None, info: Mapping[str, str]) -> tuple[str | None, bool]:
    """The SHA-1 by the interop rules: ``none`` ⇒ ``large_file_sha1``; drop ``unverified:``."""
    verified = not (content_sha1 or "").lower().startswith("unverified:")
    own = parse_sha1(content_sha1)
    if own is not None:
        return own, verified
    return parse_sha1(info.get(LARGE_FILE_SHA1_KEY)), True


def parse_mtime_ms(info: Mapping[str, str]) -> int | None:
    """``src_last_modified_millis`` as an int; None when absent or not a decimal int64.
    Negative values (mtimes before 1970) are valid: syncd, rclone and b2sdk write them."""
    raw = info.get(SRC_LAST_MODIFIED_KEY)
    if raw is None or not _MTIME_RE.fullmatch(raw.strip()):
        return None
    value = int(raw)
    return value if -(2**63) <= value < 2**63 else None


def parse_file_version(obj: Any) -> FileVersion:
    """A file object from any list/upload/info/hide/copy/start response (v2+ shape)."""
    if not isinstance(obj, dict):
        raise _bad("file object")
    action = get_str(obj, "action", max_len=16)
    info = _file_info(obj)
    size_key = "contentLength" if "contentLength" in obj else "size"
    sha1, verified = resolve_sha1(get_opt_str(obj, "contentSha1", max_len=64), info)
    file_id = get_opt_str(obj, "fileId", max_len=200)
    if file_id is None and action != "folder":
        raise _bad("fileId")
    return FileVersion(
        file_id=file_id or "",
        file_name=_file_name(obj),
        action=action,
        size=get_int(obj, size_key, high=MAX_FILE_BYTES) if obj.get(size_key) is not None else 0,
        content_sha1=sha1,
        is_sha1_verified=verified,
        content_type=get_opt_str(obj, "contentType", max_len=1024),
        upload_timestamp_ms=get_opt_int(obj, "uploadTimestamp") or 0,
        src_last_modified_ms=parse_mtime_ms(info),
        file_info=info,
        bucket_id=get_opt_str(obj, "bucketId", max_len=200),
        **_protection(obj),
    )


def _readable_value(obj: Json, key: str) -> Any:
    """``value`` of a ``{isClientAuthorizedToRead, value}`` field; None when unreadable."""
    wrapper = obj.get(key)
    if not isinstance(wrapper, dict) or not wrapper.get("isClientAuthorizedToRead"):
        return None
    return wrapper.get("value")


def _protection(obj: Json) -> dict[str, Any]:
    """Encryption, retention and legal hold of a file object (absent: all None)."""
    sse = obj.get("serverSideEncryption")
    mode = sse.get("mode") if isinstance(sse, dict) else None
    retention = _readable_value(obj, "fileRetention")
    if not isinstance(retention, dict):
        retention = {}
    hold = _readable_value(obj, "legalHold")
    until = retention.get("retainUntilTimestamp")
    return {
        "encryption": mode if mode in ("SSE-B2", "SSE-C") else None,
        "retention_mode": get_opt_str(retention, "mode", max_len=32),
        "retain_until_ms": until
        if isinstance(until, int) and not isinstance(until, bool)
        else None,
        "legal_hold": None if hold not in ("on", "off") else hold == "on",
    }


def parse_part(obj: Any) -> PartInfo:
    """One part entry of ``b2_list_parts`` or the answer of ``b2_upload_part``."""
    if not isinstance(obj, dict):
        raise _bad("part object")
    sha1 = parse_sha1(get_str(obj, "contentSha1", max_len=64))
    if sha1 is None:
        raise _bad("part contentSha1")
    return PartInfo(
        file_id=get_str(obj, "fileId", max_len=200),
        part_number=get_int(obj, "partNumber", low=1, high=10_000),
        size=get_int(obj, "contentLength", high=MAX_FILE_BYTES),
        content_sha1=sha1,
    )


def parse_bucket(obj: Any) -> Bucket:
    """One bucket object."""
    if not isinstance(obj, dict):
        raise _bad("bucket object")
    return Bucket(
        bucket_id=get_str(obj, "bucketId", max_len=200),
        bucket_name=get_str(obj, "bucketName", max_len=100),
        bucket_type=get_str(obj, "bucketType", max_len=100),
        file_lock_enabled=_file_lock_enabled(obj),
    )


def _file_lock_enabled(obj: Json) -> bool | None:
    """``fileLockConfiguration.value.isFileLockEnabled``; None when not readable."""
    value = _readable_value(obj, "fileLockConfiguration")
    if not isinstance(value, dict) or not isinstance(value.get("isFileLockEnabled"), bool):
        return None
    return bool(value["isFileLockEnabled"])


def parse_upload_target(obj: Json, owner_key: str) -> UploadTarget:
    """The answer of ``b2_get_upload_url`` (owner ``bucketId``) or ``..._part_url`` (``fileId``)."""
    return UploadTarget(
        upload_url=get_str(obj, "uploadUrl"),
        authorization_token=get_str(obj, "authorizationToken"),
        owner_id=get_str(obj, owner_key, max_len=200),
    )


def _parse_allowed(storage: Json) -> Allowed:
    # v4 nests the restrictions in ``allowed``; v3 keeps them flat in storageApi.
    allowed = storage.get("allowed")
    if isinstance(allowed, dict):
        raw_buckets = allowed.get("buckets")
        buckets: tuple[AllowedBucket, ...] | None = None
        if raw_buckets is not None:
            if not isinstance(raw_buckets, list) or len(raw_buckets) > 10_000:
                raise _bad("allowed.buckets")
            buckets = tuple(
                AllowedBucket(bucket_id=get_str(b, "id"), name=get_opt_str(b, "name"))
                if isinstance(b, dict)
                else _raise_bad("allowed.buckets entry")
                for b in raw_buckets
            )
        source: Json = allowed
    else:
        bucket_id = get_opt_str(storage, "bucketId")
        buckets = None
        if bucket_id is not None:
            buckets = (AllowedBucket(bucket_id=bucket_id, name=get_opt_str(storage, "bucketName")),)
        source = storage
    caps = get_list(source, "capabilities", max_len=1000)
    if not all(isinstance(c, str) for c in caps):
        raise _bad("capabilities")
    return Allowed(
        buckets=buckets,
        name_prefix=get_opt_str(source, "namePrefix", max_len=MAX_NAME_BYTES) or None,
        capabilities=frozenset(caps),
    )


def _raise_bad(what: str) -> AllowedBucket:
    raise _bad(what)


def parse_authorization(obj: Json) -> Authorization:
    """The v4 (or v3) answer of ``b2_authorize_account``."""
    storage = get_obj(get_obj(obj, "apiInfo"), "storageApi")
    minimum = get_int(storage, "absoluteMinimumPartSize", low=1, high=5 * 10**9)
    return Authorization(
        account_id=get_str(obj, "accountId", max_len=200),
        authorization_token=get_str(obj, "authorizationToken"),
        api_url=get_str(storage, "apiUrl"),
        download_url=get_str(storage, "downloadUrl"),
        recommended_part_size=get_int(storage, "recommendedPartSize", low=minimum, high=5 * 10**9),
        absolute_minimum_part_size=minimum,
        allowed=_parse_allowed(storage),
    )
