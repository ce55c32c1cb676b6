"""S3 versions as syncd's FileVersion values, and the listings the engine asks for.

Imports ``syncd.s3.session``/``wire``, ``syncd.remote`` and ``syncd.errors``.
ListObjectVersions gives names, version ids, sizes and times but no metadata, so each
upload version is completed by a HeadObject (in parallel, one page at a time) for its
``src_last_modified_millis`` and SHA-1. syncd stores the SHA-1 as
``x-amz-meta-large_file_sha1``, B2's own key for "the SHA-1 of the whole file"; an
object uploaded by another tool without it has ``content_sha1`` None.

A FileVersion's ``file_id`` is ``<versionId>@<key>``: the engine copies by id alone,
and S3 needs the key too (version ids never contain ``@``). The bucket id of an S3
bucket is its name.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from syncd.errors import RemoteNotFoundError
from syncd.remote import LARGE_FILE_SHA1_KEY, Bucket, FileVersion, VersionsPage
from syncd.s3.session import S3Session
from syncd.s3.wire import ListedVersion, ObjectHead

SRC_LAST_MODIFIED_KEY = "src_last_modified_millis"
ID_SEPARATOR = "@"
LATEST_PAGE = 10  # enough to hold a key's newest entry even where markers are listed last


def make_id(version_id: str, key: str) -> str:
    """The FileVersion id of a version of ``key``."""
    return f"{version_id}{ID_SEPARATOR}{key}"


def split_id(file_id: str) -> tuple[str, str]:
    """(version id, key) of a FileVersion id made here.

    Raises:
        RemoteNotFoundError: for an id that is not one (a native B2 file id).
    """
    version_id, sep, key = file_id.partition(ID_SEPARATOR)
    if not sep or not key:
        raise RemoteNotFoundError(f"{file_id!r} is not an S3 version of this store", code="bad_id")
    return version_id, key


def _mtime_ms(metadata: dict[str, str]) -> int | None:
    value = metadata.get(SRC_LAST_MODIFIED_KEY, "")
    return int(value) if value.isdigit() else None


def file_version(
    bucket: Bucket, key: str, head: ObjectHead, *, uploaded_ms: int | None = None
) -> FileVersion:
    """The FileVersion of an upload, from its HeadObject answer."""
    sha1 = head.metadata.get(LARGE_FILE_SHA1_KEY)
    return FileVersion(
        file_id=make_id(head.version_id, key),
        file_name=key,
        action="upload",
        size=head.size,
        content_sha1=sha1.lower() if sha1 else None,
        is_sha1_verified=sha1 is not None,
        content_type=head.content_type,
        upload_timestamp_ms=uploaded_ms if uploaded_ms is not None else head.last_modified_ms,
        src_last_modified_ms=_mtime_ms(head.metadata),
        file_info=dict(head.metadata),
        bucket_id=bucket.bucket_id,
    )


def marker_version(bucket: Bucket, entry: ListedVersion) -> FileVersion:
    """The FileVersion of a delete marker (B2's hide marker)."""
    return FileVersion(
        file_id=make_id(entry.version_id, entry.key),
        file_name=entry.key,
        action="hide",
        size=0,
        content_sha1=None,
        is_sha1_verified=False,
        content_type=None,
        upload_timestamp_ms=entry.last_modified_ms,
        src_last_modified_ms=None,
        file_info={},
        bucket_id=bucket.bucket_id,
    )


def head(session: S3Session, bucket: Bucket, key: str, version_id: str | None) -> ObjectHead:
    """HeadObject with retries."""
    return session.call(
        "head_object", lambda: session.raw.head_object(bucket.bucket_name, key, version_id)
    )


def _complete(
    session: S3Session, bucket: Bucket, entries: list[ListedVersion]
) -> list[FileVersion]:
    """The page's entries as FileVersions, uploads HEADed in parallel."""
    futures = {
        e.version_id: session.pool.submit(head, session, bucket, e.key, e.version_id)
        for e in entries
        if not e.is_marker
    }
    out: list[FileVersion] = []
    for entry in entries:
        if entry.is_marker:
            out.append(marker_version(bucket, entry))
            continue
        try:
            found = futures[entry.version_id].result()
        except RemoteNotFoundError:  # deleted between the listing and the HEAD
            continue
        out.append(file_version(bucket, entry.key, found, uploaded_ms=entry.last_modified_ms))
    return out


def _pages(
    session: S3Session, bucket: Bucket, prefix: str, page_size: int
) -> Iterator[list[ListedVersion]]:
    key_marker: str | None = None
    version_marker: str | None = None
    while True:
        page = session.call(
            "list_object_versions",
            partial(
                session.raw.list_versions,
                bucket.bucket_name,
                prefix,
                key_marker,
                version_marker,
                page_size,
            ),
        )
        yield page.entries
        if page.next_key is None:
            return
        key_marker, version_marker = page.next_key, page.next_version_id


def versions_page(
    session: S3Session,
    bucket: Bucket,
    prefix: str,
    start: tuple[str, str | None] | None,
    page_size: int,
) -> VersionsPage:
    """One page of ``iter_versions``, resumable from ``next_start``."""
    key_marker, version_marker = (None, None) if start is None else start
    if version_marker is not None:
        version_marker = split_id(version_marker)[0]
    page = session.call(
        "list_object_versions",
        partial(
            session.raw.list_versions,
            bucket.bucket_name,
            prefix,
            key_marker,
            version_marker,
            page_size,
        ),
    )
    following = None
    if page.next_key is not None:
        next_id = make_id(page.next_version_id, page.next_key) if page.next_version_id else None
        following = (page.next_key, next_id)
    return VersionsPage(
        versions=tuple(_complete(session, bucket, page.entries)), next_start=following
    )


def iter_versions(
    session: S3Session, bucket: Bucket, prefix: str, page_size: int
) -> Iterator[FileVersion]:
    """Every version and delete marker under ``prefix``: by name, newest first."""
    for entries in _pages(session, bucket, prefix, page_size):
        yield from _complete(session, bucket, entries)


def iter_names(
    session: S3Session, bucket: Bucket, prefix: str, page_size: int
) -> Iterator[FileVersion]:
    """The newest version of each name under ``prefix`` when it is not a delete marker."""
    for entries in _pages(session, bucket, prefix, page_size):
        latest = [e for e in entries if e.is_latest and not e.is_marker]
        yield from _complete(session, bucket, latest)


def find(session: S3Session, bucket: Bucket, key: str, version_id: str) -> ListedVersion | None:
    """The listing entry of one version of ``key`` among its newest few, or None."""
    page = session.call(
        "list_object_versions",
        lambda: session.raw.list_versions(bucket.bucket_name, key, None, None, LATEST_PAGE),
    )
    return next((e for e in page.entries if e.key == key and e.version_id == version_id), None)


def latest_version(session: S3Session, bucket: Bucket, key: str) -> FileVersion | None:
    """The newest version or delete marker of exactly ``key``, or None."""
    page = session.call(
        "list_object_versions",
        lambda: session.raw.list_versions(bucket.bucket_name, key, None, None, LATEST_PAGE),
    )
    # the newest of ``key`` is its IsLatest entry (``key`` sorts before every longer name)
    mine = [e for e in page.entries if e.key == key]
    if not mine:
        return None
    entry = next((e for e in mine if e.is_latest), mine[0])
    if entry.is_marker:
        return marker_version(bucket, entry)
    try:
        found = head(session, bucket, key, entry.version_id)
    except RemoteNotFoundError:
        return None
    return file_version(bucket, key, found, uploaded_ms=entry.last_modified_ms)
