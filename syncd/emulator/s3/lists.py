"""Listings and bucket calls: ListBuckets, HeadBucket, GetBucketLocation,
GetBucketVersioning, ListObjects (v1), ListObjectsV2 and ListObjectVersions.

Listings walk the native store in B2 order (``syncd.emulator.listing``), which is S3's
order too (UTF-8 bytes, then newest first). Markers and continuation tokens are
exclusive, as S3's are: a page resumes after the last key (and version) returned.
Unfinished large files never show; hide markers are delete markers. With
``encoding-type=url`` keys and prefixes come back form-encoded. Imports nothing from
syncd outside the emulator.
"""

from __future__ import annotations

import base64
import binascii
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from urllib.parse import quote_plus

from starlette.responses import Response

from syncd.emulator.listing import Entry, Query, walk
from syncd.emulator.models import HIDE, START
from syncd.emulator.s3.call import S3Call, native
from syncd.emulator.s3.errors import invalid_argument
from syncd.emulator.s3.xmlout import document, element, iso_time, xml_reply

MAX_KEYS = 1000
REGION = "us-east-1"


def _owner(call: S3Call, parent: ET.Element) -> None:
    owner = element("Owner", parent=parent)
    element("ID", call.state.account_id, parent=owner)
    element("DisplayName", call.state.account_id, parent=owner)


async def list_buckets(call: S3Call) -> Response:
    """ListBuckets: the buckets the key may see."""
    native(lambda: call.principal.require("listBuckets"))
    root = document("ListAllMyBucketsResult")
    _owner(call, root)
    buckets = element("Buckets", parent=root)
    for bucket in call.state.buckets.all():
        if call.principal.allows_bucket(bucket.bucket_id):
            node = element("Bucket", parent=buckets)
            element("Name", bucket.name, parent=node)
            element("CreationDate", iso_time(0), parent=node)
    return xml_reply(root)


async def head_bucket(call: S3Call) -> Response:
    """HeadBucket: 200 when the bucket exists and the key reaches it."""
    call.bucket()
    return Response(b"", headers={"x-amz-bucket-region": call.signed.region or REGION})


async def bucket_location(call: S3Call) -> Response:
    """GetBucketLocation."""
    call.bucket()
    root = document("LocationConstraint")
    root.text = call.signed.region or REGION
    return xml_reply(root)


async def bucket_versioning(call: S3Call) -> Response:
    """GetBucketVersioning: always Enabled (B2 keeps every version)."""
    call.bucket()
    root = document("VersioningConfiguration")
    element("Status", "Enabled", parent=root)
    return xml_reply(root)


def _max_keys(call: S3Call) -> int:
    raw = call.query.get("max-keys", str(MAX_KEYS))
    if not raw.isdigit():
        raise invalid_argument("max-keys must be a non-negative integer")
    return min(int(raw), MAX_KEYS)


def _encoded(call: S3Call) -> bool:
    kind = call.query.get("encoding-type")
    if kind not in (None, "url"):
        raise invalid_argument("encoding-type must be url")
    return kind == "url"


def _text(value: str, encode: bool) -> str:
    return quote_plus(value, safe="/") if encode else value


def _after(entries: Iterator[Entry], name: str | None, version_id: str | None) -> Iterator[Entry]:
    """Entries strictly after the marker (name, or name and version)."""
    for entry in entries:
        if name is not None and entry.name == name:
            if version_id is None:
                continue
            if entry.version is not None and entry.version.file_id == version_id:
                version_id = None  # the marker itself: everything after it follows
                name = None
                continue
        elif name is not None:
            name = None
        yield entry


def _take(entries: Iterator[Entry], limit: int) -> tuple[list[Entry], bool]:
    taken: list[Entry] = []
    for entry in entries:
        if entry.version is not None and entry.version.action == START:
            continue
        if len(taken) == limit:
            return taken, True
        taken.append(entry)
    return taken, False


def _header_fields(
    call: S3Call, root: ET.Element, prefix: str, delimiter: str | None, *, limit: int, encode: bool
) -> None:
    element("Name", call.bucket_name, parent=root)
    element("Prefix", _text(prefix, encode), parent=root)
    element("MaxKeys", limit, parent=root)
    if delimiter:
        element("Delimiter", _text(delimiter, encode), parent=root)
    if encode:
        element("EncodingType", "url", parent=root)


def _content(call: S3Call, root: ET.Element, entry: Entry, encode: bool) -> None:
    if entry.folder is not None:
        node = element("CommonPrefixes", parent=root)
        element("Prefix", _text(entry.folder, encode), parent=node)
        return
    version = entry.version
    assert version is not None
    node = element("Contents", parent=root)
    element("Key", _text(version.name, encode), parent=node)
    element("LastModified", iso_time(version.upload_ms), parent=node)
    element("ETag", call.etags.of(version), parent=node)
    element("Size", version.size, parent=node)
    element("StorageClass", "STANDARD", parent=node)


def _token(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode("utf-8")).decode("ascii")


def _untoken(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode("utf-8")
    except (binascii.Error, UnicodeError, ValueError):
        raise invalid_argument("The continuation token provided is incorrect") from None


async def list_objects(call: S3Call) -> Response:
    """ListObjects (v1) and ListObjectsV2 (``list-type=2``): newest visible version per key."""
    bucket = call.bucket()
    call.require("listFiles", bucket)
    v2 = call.query.get("list-type") == "2"
    prefix = call.query.get("prefix", "")
    delimiter = call.query.get("delimiter") or None
    limit = _max_keys(call)
    encode = _encoded(call)
    token = call.query.get("continuation-token")
    marker = (
        (_untoken(token) if token else call.query.get("start-after"))
        if v2
        else call.query.get("marker")
    )
    query = Query(
        bucket_id=bucket.bucket_id,
        prefix=prefix,
        delimiter=delimiter,
        start_name=marker or None,
        latest_only=True,
    )
    entries, truncated = _take(
        _after(walk(call.state.versions, query), marker or None, None), limit
    )
    root = document("ListBucketResult")
    _header_fields(call, root, prefix, delimiter, limit=limit, encode=encode)
    element("IsTruncated", "true" if truncated else "false", parent=root)
    if v2:
        element("KeyCount", len(entries), parent=root)
        if token:
            element("ContinuationToken", token, parent=root)
        if call.query.get("start-after"):
            element("StartAfter", _text(call.query["start-after"], encode), parent=root)
        if truncated and entries:
            element("NextContinuationToken", _token(entries[-1].name), parent=root)
    else:
        element("Marker", _text(marker or "", encode), parent=root)
        if truncated and entries:
            element("NextMarker", _text(entries[-1].name, encode), parent=root)
    for entry in entries:
        _content(call, root, entry, encode)
    return xml_reply(root)


async def list_versions(call: S3Call) -> Response:
    """ListObjectVersions: every version and delete marker, by key then newest first."""
    bucket = call.bucket()
    call.require("listFiles", bucket)
    prefix = call.query.get("prefix", "")
    delimiter = call.query.get("delimiter") or None
    limit = _max_keys(call)
    encode = _encoded(call)
    key_marker = call.query.get("key-marker") or None
    id_marker = (call.query.get("version-id-marker") or None) if key_marker else None
    query = Query(
        bucket_id=bucket.bucket_id,
        prefix=prefix,
        delimiter=delimiter,
        start_name=key_marker,
        start_id=id_marker,
    )
    walked = _after(walk(call.state.versions, query), key_marker, id_marker)
    entries, truncated = _take(walked, limit)
    root = document("ListVersionsResult")
    _header_fields(call, root, prefix, delimiter, limit=limit, encode=encode)
    element("KeyMarker", _text(key_marker or "", encode), parent=root)
    element("VersionIdMarker", id_marker or "", parent=root)
    element("IsTruncated", "true" if truncated else "false", parent=root)
    if truncated and entries:
        last = entries[-1]
        element("NextKeyMarker", _text(last.name, encode), parent=root)
        if last.version is not None:
            element("NextVersionIdMarker", last.version.file_id, parent=root)
    newest_seen: str | None = None
    for entry in entries:
        version = entry.version
        if version is None:
            _content(call, root, entry, encode)
            continue
        if version.name != newest_seen:
            newest = call.state.versions.newest(bucket.bucket_id, version.name)
            newest_seen = version.name
            is_latest = newest is not None and newest.file_id == version.file_id
        else:
            is_latest = False
        node = element("DeleteMarker" if version.action == HIDE else "Version", parent=root)
        element("Key", _text(version.name, encode), parent=node)
        element("VersionId", version.file_id, parent=node)
        element("IsLatest", "true" if is_latest else "false", parent=node)
        element("LastModified", iso_time(version.upload_ms), parent=node)
        if version.action != HIDE:
            element("ETag", call.etags.of(version), parent=node)
            element("Size", version.size, parent=node)
            element("StorageClass", "STANDARD", parent=node)
        _owner(call, node)
    return xml_reply(root)
