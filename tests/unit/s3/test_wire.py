"""Parsing S3's XML answers and HEAD headers into syncd.s3.wire values."""

from __future__ import annotations

import pytest

from syncd.errors import RemoteNotFoundError
from syncd.s3 import wire
from syncd.s3.versions import make_id, split_id

PAGE = b"""<?xml version="1.0" encoding="UTF-8"?>
<ListVersionsResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/">
  <IsTruncated>true</IsTruncated><NextKeyMarker>b</NextKeyMarker><NextVersionIdMarker>v3</NextVersionIdMarker>
  <DeleteMarker><Key>a</Key><VersionId>v1</VersionId><IsLatest>true</IsLatest>
    <LastModified>2026-01-02T03:04:05.678Z</LastModified></DeleteMarker>
  <Version><Key>a</Key><VersionId>v2</VersionId><IsLatest>false</IsLatest>
    <LastModified>2026-01-02T03:04:04.000Z</LastModified><ETag>"abc"</ETag><Size>5</Size></Version>
</ListVersionsResult>"""


def test_version_page_keeps_order_markers_and_cursor() -> None:
    """Delete markers and versions stay in order; the next cursor is read when truncated."""
    page = wire.version_page(PAGE)
    assert [(e.key, e.version_id, e.is_marker, e.is_latest) for e in page.entries] == [
        ("a", "v1", True, True),
        ("a", "v2", False, False),
    ]
    assert page.entries[0].last_modified_ms == 1767323045678
    assert page.entries[1].etag == "abc"
    assert (page.next_key, page.next_version_id) == ("b", "v3")


def test_object_head_reads_metadata() -> None:
    """x-amz-meta-* headers become metadata; size, version id and time are parsed."""
    head = wire.object_head(
        {
            "Content-Length": "5",
            "ETag": '"e"',
            "x-amz-version-id": "v9",
            "Last-Modified": "Fri, 02 Jan 2026 03:04:05 GMT",
            "X-Amz-Meta-Src_last_modified_millis": "42",
        }
    )
    assert (head.size, head.version_id, head.metadata) == (
        5,
        "v9",
        {"src_last_modified_millis": "42"},
    )
    assert head.last_modified_ms == 1767323045000


def test_bad_xml_is_a_wire_error() -> None:
    """An HTML page where XML was expected raises WireError."""
    with pytest.raises(wire.WireError):
        wire.version_page(b"<html><body>proxy error")


def test_file_ids_carry_the_key() -> None:
    """A FileVersion id holds version id and key; a native B2 id is refused."""
    assert split_id(make_id("v1", "a/b@c")) == ("v1", "a/b@c")
    with pytest.raises(RemoteNotFoundError):
        split_id("4_z123")


def test_markers_listed_after_versions_are_put_back_in_order() -> None:
    """A store listing all versions before all markers still yields newest first per key."""
    body = b"""<ListVersionsResult><IsTruncated>false</IsTruncated>
      <Version><Key>a</Key><VersionId>old</VersionId><IsLatest>false</IsLatest>
        <LastModified>2026-01-02T03:04:04.000Z</LastModified><Size>1</Size></Version>
      <DeleteMarker><Key>a</Key><VersionId>new</VersionId><IsLatest>true</IsLatest>
        <LastModified>2026-01-02T03:04:05.000Z</LastModified></DeleteMarker>
    </ListVersionsResult>"""
    assert [e.version_id for e in wire.version_page(body).entries] == ["new", "old"]
