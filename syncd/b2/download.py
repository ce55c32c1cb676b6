"""Downloads: verified, parallel byte ranges for big files, resumable after a crash.

Bytes go into a hidden temporary file next to the destination (created ``O_NOFOLLOW``,
mode 0600, sized up front and written in place with ``pwrite``); for a download in
several ranges a small JSON sidecar records which ranges are finished, so an interrupted
download resumes where it stopped. Only when the SHA-1 of the whole temporary file equals
the version's SHA-1 is it fsynced and renamed over the destination (reliability.md S16);
into a restore's staging directory it is renamed without a sync (see ``_run``).

Every file operation is relative to the destination directory's descriptor. A
``Path`` destination opens its parent once; a ``DirEntry`` destination (a restore's
staging directory) is used as given, and there the partial file and the sidecar are
created ``O_EXCL``: swapping the directory's name for a symlink while the download
runs redirects nothing (reliability.md S11).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import stat
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import structlog

from syncd.b2.models import Authorization, FileVersion
from syncd.b2.protect import customer_headers
from syncd.b2.session import B2Session
from syncd.errors import LocalAccessError, RemoteNotFoundError, RemoteProtocolError
from syncd.localfile import write_at
from syncd.remote import DirEntry, Encryption

log = structlog.get_logger(__name__)
MIN_RANGE_BYTES = 8 * 1024 * 1024
_HASH_CHUNK = 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC


def temp_names(name: str) -> tuple[str, str]:
    """The partial file's and the sidecar's names for a destination called ``name``."""
    part = f".{name}.syncd-download"
    return part, part + ".json"


def temp_paths(dest: Path) -> tuple[Path, Path]:
    """The partial file and its sidecar for ``dest``."""
    part, sidecar = temp_names(dest.name)
    return dest.with_name(part), dest.with_name(sidecar)


class Download:
    """One version on its way down to ``dest``."""

    def __init__(
        self,
        session: B2Session,
        version: FileVersion,
        dest: Path | DirEntry,
        *,
        threshold_bytes: int,
        threads: int,
        on_progress: Callable[[int], None] | None,
        key: Encryption | None = None,
    ) -> None:
        if version.action not in ("upload", "copy"):
            raise RemoteNotFoundError(f"{version.file_name!r}: a {version.action} has no content")
        self._session = session
        self._version = version
        self._key_headers = customer_headers(key)  # an SSE-C version's key, on every range
        self._parent = dest.parent if isinstance(dest, Path) else None
        self._threshold = threshold_bytes
        self._threads = max(1, threads)
        self._on_progress = on_progress
        self._name = dest.name
        self._shown = str(dest) if isinstance(dest, Path) else dest.name
        self._exclusive = isinstance(dest, DirEntry)  # a fresh name: never resumed
        self._dir_fd = dest.dir_fd if isinstance(dest, DirEntry) else -1
        self._part, self._sidecar = temp_names(dest.name)
        self._lock = threading.Lock()
        self._done: set[int] = set()
        self._range_bytes = 0
        self._resumable = True  # ranged: progress is kept in the sidecar

    def run(self) -> None:
        """Fetch every missing range, verify the SHA-1, then rename into place."""
        if self._parent is None:
            self._run()
            return
        try:
            self._dir_fd = os.open(self._parent, _DIR_FLAGS)
        except OSError as exc:
            raise LocalAccessError(
                f"{self._shown}: cannot open its directory: {exc.strerror}"
            ) from exc
        try:
            self._run()
        finally:
            os.close(self._dir_fd)
            self._dir_fd = -1

    def _run(self) -> None:
        size = self._version.size
        self._range_bytes = self._choose_range_bytes(self._session.authorization)
        count = max(1, math.ceil(size / self._range_bytes))
        # The sidecar lists the finished ranges so that a download cut short resumes.
        # A download of one range (every file up to the parallel threshold) has nothing
        # to resume: its one range is either all there or fetched again, and whether it
        # is all there is what the SHA-1 check decides anyway. It gets no sidecar (two
        # writes, two renames and an unlink per file saved).
        self._resumable = count > 1
        fd = self._open_part()
        try:
            todo = [i for i in range(count) if i not in self._done]
            if len(todo) > 1 and self._threads > 1:
                with ThreadPoolExecutor(max_workers=min(self._threads, len(todo))) as pool:
                    for future in [pool.submit(self._fetch, fd, i) for i in todo]:
                        future.result()
            else:
                for i in todo:
                    self._fetch(fd, i)
            self._verify(fd)
            if not self._exclusive:
                # A ``DirEntry`` destination is a restore's private staging directory:
                # the file is moved on from there, and the code that moves it syncs it
                # before it replaces anything (``restore_durable``). Syncing it here as
                # well would cost a flush per file for a name nobody reads after a crash.
                os.fsync(fd)
        finally:
            os.close(fd)
        d = self._dir_fd
        try:
            os.replace(self._part, self._name, src_dir_fd=d, dst_dir_fd=d)
            if not self._exclusive:  # the staging directory is swept after a crash
                os.fsync(d)
        except OSError as exc:
            raise LocalAccessError(
                f"{self._shown}: cannot rename into place: {exc.strerror}"
            ) from exc
        if self._resumable or not self._exclusive:  # a fresh name never had a sidecar
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self._sidecar, dir_fd=d)
        log.info("download_finished", file_id=self._version.file_id, size_bytes=size, ranges=count)

    def _choose_range_bytes(self, auth: Authorization) -> int:
        size = self._version.size
        if size <= self._threshold:
            return max(1, size)
        per_thread = math.ceil(size / self._threads)
        return max(MIN_RANGE_BYTES, min(auth.recommended_part_size, per_thread))

    # --- the partial file and its sidecar ----------------------------------------------------

    def _sidecar_state(self) -> dict[str, object]:
        v = self._version
        return {"file_id": v.file_id, "size": v.size, "range_bytes": self._range_bytes}

    def _open_part(self) -> int:
        flags = os.O_RDWR | os.O_CREAT | os.O_NOFOLLOW | os.O_CLOEXEC
        if self._exclusive:
            flags |= os.O_EXCL
        try:
            fd = os.open(self._part, flags, 0o600, dir_fd=self._dir_fd)
        except OSError as exc:
            raise LocalAccessError(f"{self._shown}: cannot create: {exc.strerror}") from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise LocalAccessError(f"{self._shown}: the partial file is not a regular file")
        resumable = self._resumable and not self._exclusive and st.st_size == self._version.size
        self._done = self._load_done() if resumable else set()
        if not self._done:
            os.ftruncate(fd, 0)
            os.ftruncate(fd, self._version.size)  # sparse: ranges land in place
            if self._resumable:
                self._save_done()
        else:
            log.info("download_resumed", file_id=self._version.file_id, ranges_done=len(self._done))
        return fd

    def _load_done(self) -> set[int]:
        try:
            fd = os.open(
                self._sidecar, os.O_RDONLY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=self._dir_fd
            )
            with os.fdopen(fd, "rb") as f:
                saved = json.loads(f.read(1 << 20))
        except (OSError, ValueError, RecursionError):
            return set()
        if not isinstance(saved, dict) or any(
            saved.get(k) != v for k, v in self._sidecar_state().items()
        ):
            return set()
        done = saved.get("done")
        if not isinstance(done, list) or not all(isinstance(i, int) for i in done):
            return set()
        return set(done)

    def _save_done(self) -> None:
        tmp, d = self._sidecar + ".tmp", self._dir_fd
        state = {**self._sidecar_state(), "done": sorted(self._done)}
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC
        try:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp, dir_fd=d)  # a crash's leftover; unlink never follows a symlink
            with os.fdopen(os.open(tmp, flags, 0o600, dir_fd=d), "wb") as f:
                f.write(json.dumps(state).encode())
            os.replace(tmp, self._sidecar, src_dir_fd=d, dst_dir_fd=d)
        except OSError as exc:
            raise LocalAccessError(f"{self._shown}: cannot save progress: {exc.strerror}") from exc

    # --- ranges ------------------------------------------------------------------------------

    def _fetch(self, fd: int, index: int) -> None:
        size = self._version.size
        first = index * self._range_bytes
        last = min(first + self._range_bytes, size) - 1
        reported = [first]  # progress high-water mark: a retried range is not counted twice

        def attempt(auth: Authorization) -> None:
            ranged = size > 0
            with self._session.raw.download_file_by_id(
                auth.download_url,
                auth.authorization_token,
                file_id=self._version.file_id,
                first=first if ranged else None,
                last=last if ranged else None,
                extra_headers=self._key_headers,
            ) as response:
                if response.file_id and response.file_id != self._version.file_id:
                    raise RemoteProtocolError("download: B2 sent another file", code="bad_response")
                whole = response.status == 200 and first == 0 and last == size - 1
                if ranged and not whole and response.content_range != (first, last, size):
                    raise RemoteProtocolError("download: wrong byte range", code="bad_response")
                declared = response.content_length
                if declared is not None and declared != last - first + 1:
                    raise RemoteProtocolError("download: wrong length", code="bad_response")
                offset = first
                for chunk in response.chunks:
                    if offset + len(chunk) > last + 1:
                        raise RemoteProtocolError("download: too many bytes", code="bad_response")
                    write_at(fd, chunk, offset, self._shown)
                    offset += len(chunk)
                    self._report(reported, offset)
                if offset != last + 1:
                    raise RemoteProtocolError("download: body ended early", code="bad_response")

        self._session.call("download_file_by_id", attempt)
        with self._lock:
            self._done.add(index)
            if self._resumable:
                self._save_done()

    def _report(self, reported: list[int], offset: int) -> None:
        if offset > reported[0]:
            if self._on_progress is not None:
                self._on_progress(offset - reported[0])
            reported[0] = offset

    def _verify(self, fd: int) -> None:
        want = self._version.content_sha1
        if want is None:
            log.warning("download_unverified", file_id=self._version.file_id, reason="no_sha1")
            return
        digest = hashlib.sha1(usedforsecurity=False)
        offset = 0
        while chunk := os.pread(fd, _HASH_CHUNK, offset):
            digest.update(chunk)
            offset += len(chunk)
        if offset != self._version.size or digest.hexdigest() != want:
            self._discard()
            raise RemoteProtocolError(
                f"download of {self._version.file_name!r} does not match its SHA-1",
                code="sha1_mismatch",
            )

    def _discard(self) -> None:
        for name in (self._part, self._sidecar):
            with contextlib.suppress(OSError):
                os.unlink(name, dir_fd=self._dir_fd)
