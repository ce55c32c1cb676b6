"""S3's XML answers and object headers as typed values.

Imports nothing from syncd. Parsing uses the standard library's expat-backed
ElementTree: answers come from the configured endpoint only, and expat neither fetches
external entities nor expands entity bombs past its built-in limits. Names are local
(the S3 namespace is stripped), so stores that omit it parse the same.
"""

from __future__ import annotations

import email.utils
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

META_PREFIX = "x-amz-meta-"


class WireError(ValueError):
    """An answer that is not the XML S3 sends."""


@dataclass(frozen=True, slots=True, kw_only=True)
class ListedVersion:
    """One entry of ListObjectVersions: a version or a delete marker."""

    key: str
    version_id: str
    is_latest: bool
    last_modified_ms: int
    etag: str
    size: int
    is_marker: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class VersionPage:
    """One page of ListObjectVersions."""

    entries: list[ListedVersion]
    next_key: str | None
    next_version_id: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectHead:
    """What HeadObject (or a GET) says about one version."""

    size: int
    etag: str
    version_id: str
    last_modified_ms: int
    content_type: str | None
    metadata: dict[str, str]


@dataclass(frozen=True, slots=True, kw_only=True)
class PartEntry:
    """One uploaded part of a multipart upload."""

    number: int
    etag: str
    size: int


@dataclass(frozen=True, slots=True, kw_only=True)
class UploadEntry:
    """One multipart upload in progress."""

    key: str
    upload_id: str
    initiated_ms: int


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def parse(body: bytes) -> ET.Element:
    """The document's root element."""
    try:
        return ET.fromstring(body)  # noqa: S314  (see the module docstring)
    except ET.ParseError as exc:
        raise WireError(f"not XML: {body[:80]!r}") from exc


def fields(node: ET.Element) -> dict[str, str]:
    """Child name -> text, for the direct children of ``node``."""
    return {_local(child.tag): (child.text or "") for child in node}


def children(node: ET.Element, name: str) -> list[ET.Element]:
    """The direct children called ``name``."""
    return [child for child in node if _local(child.tag) == name]


def iso_ms(text: str) -> int:
    """Milliseconds since the epoch of ``2026-01-02T03:04:05.678Z``."""
    try:
        return int(datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp() * 1000)
    except ValueError as exc:
        raise WireError(f"bad timestamp {text!r}") from exc


def version_page(body: bytes) -> VersionPage:
    """A ListVersionsResult."""
    root = parse(body)
    entries: list[ListedVersion] = []
    for node in root:
        kind = _local(node.tag)
        if kind not in ("Version", "DeleteMarker"):
            continue
        f = fields(node)
        entries.append(
            ListedVersion(
                key=f.get("Key", ""),
                version_id=f.get("VersionId", ""),
                is_latest=f.get("IsLatest") == "true",
                last_modified_ms=iso_ms(f.get("LastModified", "")),
                etag=f.get("ETag", "").strip('"'),
                size=int(f.get("Size", "0") or 0),
                is_marker=kind == "DeleteMarker",
            )
        )
    # S3 interleaves versions and delete markers newest first; some stores (moto) list all
    # versions, then all markers: restore the order (stable, so equal times keep theirs)
    entries.sort(key=lambda e: (e.key.encode("utf-8"), not e.is_latest, -e.last_modified_ms))
    top = fields(root)
    truncated = top.get("IsTruncated") == "true"
    return VersionPage(
        entries=entries,
        next_key=top.get("NextKeyMarker") if truncated else None,
        next_version_id=top.get("NextVersionIdMarker") if truncated else None,
    )


def object_head(headers: Mapping[str, str]) -> ObjectHead:
    """HeadObject's headers (names in any case)."""
    lower = {k.lower(): v for k, v in headers.items()}
    modified = email.utils.parsedate_to_datetime(lower.get("last-modified", ""))
    return ObjectHead(
        size=int(lower.get("content-length", "0")),
        etag=lower.get("etag", "").strip('"'),
        version_id=lower.get("x-amz-version-id", ""),
        last_modified_ms=int(modified.timestamp() * 1000),
        content_type=lower.get("content-type"),
        metadata={k[len(META_PREFIX) :]: v for k, v in lower.items() if k.startswith(META_PREFIX)},
    )


def text_of(body: bytes, name: str) -> str:
    """The text of the root's child ``name`` (UploadId, ETag...)."""
    value = fields(parse(body)).get(name)
    if value is None:
        raise WireError(f"no {name} in the answer")
    return value


def parts(body: bytes) -> tuple[list[PartEntry], int | None]:
    """A ListPartsResult page and the next part-number marker (None at the end)."""
    root = parse(body)
    found = [
        PartEntry(
            number=int(f["PartNumber"]),
            etag=f.get("ETag", "").strip('"'),
            size=int(f.get("Size", "0")),
        )
        for f in map(fields, children(root, "Part"))
    ]
    top = fields(root)
    following = top.get("NextPartNumberMarker") if top.get("IsTruncated") == "true" else None
    return found, int(following) if following else None


def uploads(body: bytes) -> list[UploadEntry]:
    """The uploads of a ListMultipartUploadsResult."""
    return [
        UploadEntry(
            key=f.get("Key", ""),
            upload_id=f.get("UploadId", ""),
            initiated_ms=iso_ms(f.get("Initiated", "")),
        )
        for f in map(fields, children(parse(body), "Upload"))
    ]


def error_fields(body: bytes) -> dict[str, str]:
    """The fields of an ``<Error>`` body (empty when there is none)."""
    try:
        return fields(parse(body)) if body.strip() else {}
    except WireError:
        return {}
