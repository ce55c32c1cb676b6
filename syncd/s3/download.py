"""Downloads over S3: ranged GETs (in parallel for big files), SHA-1 checked, renamed into place.

Imports ``syncd.s3.session``/``versions``, ``syncd.remote`` and ``syncd.errors``. The
bytes go into a hidden ``.<name>.syncd-download`` file next to the destination (made
``O_EXCL | O_NOFOLLOW``, mode 0600, relative to the destination directory's
descriptor, as the native client does), written with ``pwrite``; only when its SHA-1 is
the version's is it fsynced and renamed over the destination (into a restore's staging
directory, a ``DirEntry``, without the fsyncs, as the native client). Unlike the native client
it keeps no sidecar: an interrupted download starts over.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from syncd.errors import LocalAccessError, RemoteProtocolError
from syncd.localfile import write_at
from syncd.remote import Bucket, DirEntry, FileVersion
from syncd.s3 import versions
from syncd.s3.session import S3Session

RANGE_BYTES = 8 * 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC
_PART_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC


def _sha1(fd: int, size: int) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    offset = 0
    while offset < size:
        chunk = os.pread(fd, min(RANGE_BYTES, size - offset), offset)
        if not chunk:
            break
        digest.update(chunk)
        offset += len(chunk)
    return digest.hexdigest()


def download(
    session: S3Session,
    version: FileVersion,
    dest: Path | DirEntry,
    *,
    threshold_bytes: int,
    threads: int,
    on_progress: Callable[[int], None] | None,
) -> None:
    """Write ``version`` to ``dest``, SHA-1 checked (when the version has one)."""
    version_id, key = versions.split_id(version.file_id)
    bucket = Bucket(
        bucket_id=version.bucket_id or "", bucket_name=version.bucket_id or "", bucket_type=""
    )
    if isinstance(dest, DirEntry):
        dir_fd, name, owns_dir = dest.dir_fd, dest.name, False
    else:
        dir_fd, name, owns_dir = os.open(dest.parent, _DIR_FLAGS), dest.name, True
    part = f".{name}.syncd-download"
    try:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(part, dir_fd=dir_fd)
        try:
            fd = os.open(part, _PART_FLAGS, 0o600, dir_fd=dir_fd)
        except OSError as exc:
            raise LocalAccessError(f"cannot create {part}: {exc.strerror}", rel_path=name) from exc
        try:
            _fetch(
                session,
                bucket,
                key,
                version_id,
                size=version.size,
                fd=fd,
                threshold_bytes=threshold_bytes,
                threads=threads,
                on_progress=on_progress,
            )
            _verify(fd, version, key)
            if owns_dir:  # a DirEntry is a restore's staging: its mover syncs what needs it
                os.fsync(fd)
        except BaseException:
            os.close(fd)
            with contextlib.suppress(OSError):
                os.unlink(part, dir_fd=dir_fd)
            raise
        os.close(fd)
        os.replace(part, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
        if owns_dir:  # staging is private and swept after a crash (see restore_durable)
            os.fsync(dir_fd)
    finally:
        if owns_dir:
            os.close(dir_fd)


def _verify(fd: int, version: FileVersion, key: str) -> None:
    if version.content_sha1 is not None and _sha1(fd, version.size) != version.content_sha1:
        raise RemoteProtocolError(f"{key!r}: the bytes do not have its SHA-1", code="bad_sha1")


def _fetch(
    session: S3Session,
    bucket: Bucket,
    key: str,
    version_id: str,
    *,
    size: int,
    fd: int,
    threshold_bytes: int,
    threads: int,
    on_progress: Callable[[int], None] | None,
) -> None:
    ranges = [(start, min(start + RANGE_BYTES, size) - 1) for start in range(0, size, RANGE_BYTES)]

    def fetch(span: tuple[int, int]) -> None:
        start, end = span
        data = session.call(
            "get_object",
            lambda: session.raw.get_range(bucket.bucket_name, key, version_id, start, end),
        )
        if len(data) != end - start + 1:
            raise RemoteProtocolError(
                f"{key!r}: range {start}-{end} came back {len(data)} bytes", code="short_range"
            )
        write_at(fd, data, start, key)
        if on_progress is not None:
            on_progress(len(data))

    if size >= threshold_bytes and len(ranges) > 1 and threads > 1:
        with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="s3-get") as pool:
            for future in [pool.submit(fetch, span) for span in ranges]:
                future.result()
    else:
        for span in ranges:
            fetch(span)
