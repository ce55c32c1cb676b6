"""Lazy, defensive listings: versions, names, unfinished large files, parts.

Every iterator holds one page at a time, so a bucket of millions of names costs one page
of memory. Pages are checked as they arrive (reliability.md S14): names must be under
the prefix and never go backwards, and a cursor must move on — a server that repeats or
cycles a cursor, or sends empty pages forever, gets ``RemoteProtocolError`` instead of
an endless loop.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial

from syncd.b2.models import (
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
    PartPage,
    UnfinishedPage,
    VersionPage,
)
from syncd.b2.session import B2Session
from syncd.errors import RemoteProtocolError
from syncd.remote import VersionsPage

MAX_EMPTY_PAGES = 3
LATEST_PAGE_SIZE = 10


def _protocol(message: str) -> RemoteProtocolError:
    return RemoteProtocolError(f"remote listing invalid: {message}", code="bad_listing")


class _CursorGuard:
    """Checks that names never go backwards and that cursors never repeat."""

    def __init__(self, prefix: str) -> None:
        self._prefix = prefix
        self._last_name = ""
        self._seen: set[tuple[str, str | None]] = set()
        self._empty = 0

    def entry(self, version: FileVersion) -> None:
        if not version.file_name.startswith(self._prefix):
            raise _protocol(f"{version.file_name!r} is outside prefix {self._prefix!r}")
        if version.file_name < self._last_name:
            raise _protocol("names out of order")
        self._last_name = version.file_name

    def cursor(self, name: str, file_id: str | None, page_len: int) -> None:
        if name < self._last_name:
            raise _protocol("cursor went backwards")
        if name > self._last_name:
            self._seen.clear()  # only cursors within one name can cycle
        key = (name, file_id)
        if key in self._seen:
            raise _protocol("cursor repeated")
        self._seen.add(key)
        self._empty = self._empty + 1 if page_len == 0 else 0
        if self._empty > MAX_EMPTY_PAGES:
            raise _protocol("empty pages without end")


def iter_versions(
    session: B2Session, bucket: Bucket, prefix: str, page_size: int
) -> Iterator[FileVersion]:
    """Every version under ``prefix``: name ascending, newest first within a name."""
    guard = _CursorGuard(prefix)
    start_name: str | None = None
    start_id: str | None = None
    while True:
        page = _versions_page(
            session,
            bucket,
            prefix=prefix,
            start_name=start_name,
            start_id=start_id,
            page_size=page_size,
        )
        for version in page.files:
            guard.entry(version)
            yield version
        if page.next_file_name is None:
            return
        guard.cursor(page.next_file_name, page.next_file_id, len(page.files))
        start_name, start_id = page.next_file_name, page.next_file_id


def versions_page(
    session: B2Session,
    bucket: Bucket,
    prefix: str,
    start: tuple[str, str | None] | None,
    page_size: int,
) -> VersionsPage:
    """One page of the versions under ``prefix`` from ``start`` (a resumable walk)."""
    name, file_id = start if start is not None else (None, None)
    if name is not None and not name.startswith(prefix):
        raise _protocol(f"a listing cursor {name!r} outside the prefix {prefix!r}")
    page = _versions_page(
        session, bucket, prefix=prefix, start_name=name, start_id=file_id, page_size=page_size
    )
    guard = _CursorGuard(prefix)
    for version in page.files:
        guard.entry(version)
    if page.files and page.files[0].file_name < (name or ""):
        raise _protocol("a page started before its cursor")
    following = None if page.next_file_name is None else (page.next_file_name, page.next_file_id)
    if following is not None and (following[0] < (name or "") or following == start):
        raise _protocol("the listing cursor did not move on")
    return VersionsPage(versions=tuple(page.files), next_start=following)


def iter_names(
    session: B2Session, bucket: Bucket, prefix: str, page_size: int
) -> Iterator[FileVersion]:
    """The newest visible version of each name under ``prefix``, by name."""
    guard = _CursorGuard(prefix)
    start_name: str | None = None
    while True:
        page = session.call(
            "list_file_names",
            partial(
                _names_request,
                session,
                bucket_id=bucket.bucket_id,
                prefix=prefix,
                start_file_name=start_name,
                max_file_count=page_size,
            ),
        )
        for version in page.files:
            guard.entry(version)
            yield version
        if page.next_file_name is None:
            return
        guard.cursor(page.next_file_name, None, len(page.files))
        start_name = page.next_file_name


def latest_version(session: B2Session, bucket: Bucket, b2_name: str) -> FileVersion | None:
    """The newest finished version (upload or hide marker) of exactly ``b2_name``.

    Usually one small ``b2_list_file_versions`` call starting at the name; unfinished
    large files (``start``) are skipped, paging on only if a page held nothing else.
    """
    for version in _versions_of(session, bucket, b2_name):
        if version.action in ("upload", "hide"):
            return version
    return None


def _versions_of(session: B2Session, bucket: Bucket, b2_name: str) -> Iterator[FileVersion]:
    start_id: str | None = None
    seen: set[str] = set()
    while True:
        page = _versions_page(
            session,
            bucket,
            prefix=b2_name,
            start_name=b2_name,
            start_id=start_id,
            page_size=LATEST_PAGE_SIZE,
        )
        for version in page.files:
            if version.file_name != b2_name:
                return
            yield version
        if page.next_file_name != b2_name or page.next_file_id is None:
            return
        if page.next_file_id in seen:
            raise _protocol("cursor repeated")
        seen.add(page.next_file_id)
        start_id = page.next_file_id


def iter_unfinished(session: B2Session, bucket: Bucket, prefix: str) -> Iterator[FileVersion]:
    """Unfinished large files under ``prefix``, oldest first."""
    seen: set[str] = set()
    start_id: str | None = None
    while True:
        page = session.call(
            "list_unfinished_large_files",
            partial(
                _unfinished_request,
                session,
                bucket_id=bucket.bucket_id,
                name_prefix=prefix,
                start_file_id=start_id,
            ),
        )
        for version in page.files:
            if not version.file_name.startswith(prefix):
                raise _protocol(f"{version.file_name!r} is outside prefix {prefix!r}")
            yield version
        if page.next_file_id is None:
            return
        if page.next_file_id in seen:
            raise _protocol("cursor repeated")
        seen.add(page.next_file_id)
        start_id = page.next_file_id


def iter_parts(session: B2Session, file_id: str) -> Iterator[PartInfo]:
    """The stored parts of an unfinished large file, by part number."""
    start: int | None = None
    while True:
        page = session.call("list_parts", partial(_parts_request, session, file_id, start))
        yield from page.parts
        if page.next_part_number is None:
            return
        if start is not None and page.next_part_number <= start:
            raise _protocol("part cursor did not advance")
        start = page.next_part_number


# --- one request each; partial() binds the cursor of the page being fetched --------------


def _versions_page(
    session: B2Session,
    bucket: Bucket,
    *,
    prefix: str,
    start_name: str | None,
    start_id: str | None,
    page_size: int,
) -> VersionPage:
    def request(auth: Authorization) -> VersionPage:
        return session.raw.list_file_versions(
            auth.api_url,
            auth.authorization_token,
            bucket_id=bucket.bucket_id,
            prefix=prefix,
            start_file_name=start_name,
            start_file_id=start_id,
            max_file_count=page_size,
        )

    return session.call("list_file_versions", request)


def _names_request(
    session: B2Session,
    auth: Authorization,
    *,
    bucket_id: str,
    prefix: str,
    start_file_name: str | None,
    max_file_count: int,
) -> VersionPage:
    return session.raw.list_file_names(
        auth.api_url,
        auth.authorization_token,
        bucket_id=bucket_id,
        prefix=prefix,
        start_file_name=start_file_name,
        max_file_count=max_file_count,
    )


def _unfinished_request(
    session: B2Session,
    auth: Authorization,
    *,
    bucket_id: str,
    name_prefix: str,
    start_file_id: str | None,
) -> UnfinishedPage:
    return session.raw.list_unfinished_large_files(
        auth.api_url,
        auth.authorization_token,
        bucket_id=bucket_id,
        name_prefix=name_prefix,
        start_file_id=start_file_id,
        max_file_count=100,
    )


def _parts_request(
    session: B2Session, file_id: str, start: int | None, auth: Authorization
) -> PartPage:
    return session.raw.list_parts(
        auth.api_url,
        auth.authorization_token,
        file_id=file_id,
        start_part_number=start,
        max_part_count=1000,
    )
