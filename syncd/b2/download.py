"""Downloads: verified, parallel byte ranges for big files, resumable after a crash.

Imports ``syncd.b2.session``/``models`` and ``syncd.errors``. Bytes go into a hidden
temporary file next to the destination (created ``O_NOFOLLOW``, mode 0600, sized up
front and written in place with ``pwrite``); a small JSON sidecar records which ranges
are finished, so an interrupted download resumes where it stopped. Only when the
SHA-1 of the whole temporary file equals the version's SHA-1 is it fsynced and
renamed over the destination (reliability.md S16).
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
from syncd.b2.session import B2Session
from syncd.errors import LocalAccessError, RemoteNotFoundError, RemoteProtocolError

log = structlog.get_logger(__name__)
MIN_RANGE_BYTES = 8 * 1024 * 1024
_HASH_CHUNK = 1024 * 1024


def temp_paths(dest: Path) -> tuple[Path, Path]:
    """The partial file and its sidecar for ``dest``."""
    part = dest.with_name(f".{dest.name}.syncd-download")
    return part, part.with_name(part.name + ".json")


class Download:
    """One version on its way down to ``dest``."""

    def __init__(
        self,
        session: B2Session,
        version: FileVersion,
        dest: Path,
        *,
        threshold_bytes: int,
        threads: int,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        if version.action not in ("upload", "copy"):
            raise RemoteNotFoundError(f"{version.file_name!r}: a {version.action} has no content")
        self._session = session
        self._version = version
        self._dest = dest
        self._threshold = threshold_bytes
        self._threads = max(1, threads)
        self._on_progress = on_progress
        self._part, self._sidecar = temp_paths(dest)
        self._lock = threading.Lock()
        self._done: set[int] = set()
        self._range_bytes = 0

    def run(self) -> None:
        """Fetch every missing range, verify the SHA-1, then rename into place."""
        size = self._version.size
        self._range_bytes = self._choose_range_bytes(self._session.authorization)
        count = max(1, math.ceil(size / self._range_bytes))
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
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(self._part, self._dest)
        _fsync_dir(self._dest.parent)
        self._sidecar.unlink(missing_ok=True)
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
        try:
            fd = os.open(self._part, flags, 0o600)
        except OSError as exc:
            raise LocalAccessError(f"{self._part}: cannot open: {exc.strerror}") from exc
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            os.close(fd)
            raise LocalAccessError(f"{self._part}: not a regular file")
        self._done = self._load_done() if st.st_size == self._version.size else set()
        if not self._done:
            os.ftruncate(fd, 0)
            os.ftruncate(fd, self._version.size)  # sparse: ranges land in place
            self._save_done()
        else:
            log.info("download_resumed", file_id=self._version.file_id, ranges_done=len(self._done))
        return fd

    def _load_done(self) -> set[int]:
        try:
            saved = json.loads(self._sidecar.read_text(encoding="utf-8"))
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
        tmp = self._sidecar.with_name(self._sidecar.name + ".tmp")
        state = {**self._sidecar_state(), "done": sorted(self._done)}
        tmp.write_text(json.dumps(state), encoding="utf-8")
        os.replace(tmp, self._sidecar)

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
                    _pwrite(fd, chunk, offset, self._part)
                    offset += len(chunk)
                    self._report(reported, offset)
                if offset != last + 1:
                    raise RemoteProtocolError("download: body ended early", code="bad_response")

        self._session.call("download_file_by_id", attempt)
        with self._lock:
            self._done.add(index)
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
        with contextlib.suppress(OSError):
            self._part.unlink()
        with contextlib.suppress(OSError):
            self._sidecar.unlink()


def _pwrite(fd: int, data: bytes, offset: int, path: Path) -> None:
    view = memoryview(data)
    while view:
        try:
            written = os.pwrite(fd, view, offset)
        except OSError as exc:
            raise LocalAccessError(f"{path}: write failed: {exc.strerror}") from exc
        view = view[written:]
        offset += written


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
