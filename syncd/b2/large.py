"""Large-file uploads: parallel parts, resume, and never a torn or duplicate file.

The sequence:

1. one pass over the file computes the whole-file SHA-1 *and* every part's SHA-1;
2. the large file the journal recorded for this path (``Resume``) is resumed by its
   file id when it holds the same source (parts whose SHA-1 matches are skipped), and
   cancelled when the source moved on; with no record (a crash between the start and
   its record), an unfinished one of that name that *this client* started
   (``syncd_client`` in its file info) with the same ``large_file_sha1`` and
   ``src_last_modified_millis`` is resumed and this client's other ones are cancelled.
   Unfinished large files that another client started are never touched;
3. otherwise ``b2_start_large_file`` with the keys in the file info, recorded through
   ``Resume.record`` before any part is sent;
4. parts go out in parallel, each thread on its own part URL, each part streamed from
   the file with the SHA-1 from step 1 in its header — so B2 refuses a part whose
   bytes differ from the first read, and the parts always add up to ``large_file_sha1``;
5. the source is re-checked before every part and before finishing; if it moved, the
   large file is cancelled and ``FileChangedError`` raised;
6. a lost answer to start, a part or finish is probed for before anything is re-sent.
"""

from __future__ import annotations

import math
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass
from pathlib import Path

import structlog

from syncd.b2 import listing
from syncd.b2.models import (
    LARGE_FILE_SHA1_KEY,
    SRC_LAST_MODIFIED_KEY,
    Authorization,
    Bucket,
    FileVersion,
    PartInfo,
    UploadResult,
    UploadTarget,
)
from syncd.b2.protect import NO_SEAL, Seal
from syncd.b2.session import B2Session
from syncd.b2.source import SourceFile
from syncd.domain import LocalState
from syncd.errors import (
    LocalError,
    RemoteBadRequestError,
    RemoteError,
    RemoteNotFoundError,
    RemoteProtocolError,
)
from syncd.remote import CLIENT_KEY, LargeStart, Resume

log = structlog.get_logger(__name__)
MAX_PARTS = 10_000
MAX_PART_BYTES = 5_000_000_000


def choose_part_size(size: int, auth: Authorization, configured: int | None) -> int:
    """Configured or recommended, at least the absolute minimum, at most 10,000 parts."""
    part = configured or auth.recommended_part_size
    part = max(part, auth.absolute_minimum_part_size, math.ceil(size / MAX_PARTS))
    return min(part, MAX_PART_BYTES)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Plan:
    bucket: Bucket
    b2_name: str
    content_type: str
    sha1: str
    mtime_ms: int
    size: int
    part_size: int
    part_sha1s: list[str]

    def span(self, number: int) -> tuple[int, int]:
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def is_same_source(self, version: FileVersion) -> bool:
        return (
            version.file_info.get(LARGE_FILE_SHA1_KEY) == self.sha1
            and version.src_last_modified_ms == self.mtime_ms
        )


class LargeUpload:
    """One large file on its way up; ``run`` does the whole sequence."""

    def __init__(
        self,
        session: B2Session,
        *,
        threads: int,
        on_progress: Callable[[int], None] | None,
        client_tag: str = "",
        resume: Resume | None = None,
        seal: Seal = NO_SEAL,
    ) -> None:
        self._seal = seal  # encryption and retention: fixed at start, the key on every part
        self._session = session
        self._raw = session.raw
        self._threads = max(1, threads)
        self._on_progress = on_progress
        self._tag = client_tag
        self._resume = resume

    def run(
        self,
        bucket: Bucket,
        b2_name: str,
        abs_path: Path,
        expected: LocalState,
        *,
        content_type: str,
        part_size: int,
    ) -> UploadResult:
        """Upload ``abs_path`` as a large file named ``b2_name``."""
        with SourceFile(abs_path, expected) as source:
            sha1, part_sha1s = source.hash_parts(part_size)
            plan = _Plan(
                bucket=bucket,
                b2_name=b2_name,
                content_type=content_type,
                sha1=sha1,
                mtime_ms=expected.mtime_ms,
                size=expected.size,
                part_size=part_size,
                part_sha1s=part_sha1s,
            )
            file_id, done = self._start_or_resume(plan)
            try:
                self._send_parts(plan, source, file_id, done)
                source.check()
            except LocalError:
                cancel_large(self._session, file_id, reason="source_changed")
                raise
            except RemoteBadRequestError:
                # A part B2 refused as not matching its SHA-1 usually means the file moved.
                try:
                    source.check()
                except LocalError:
                    cancel_large(self._session, file_id, reason="source_changed")
                    raise
                raise
            version = finish_large(self._session, file_id, plan.part_sha1s)
            if version.content_sha1 != sha1 or version.size != plan.size:
                raise RemoteProtocolError(
                    f"finish_large_file: {b2_name!r} does not match the source"
                )
        log.info(
            "large_file_finished", b2_name=b2_name, size_bytes=plan.size, parts=len(part_sha1s)
        )
        return UploadResult(version=version, sha1=sha1)

    # --- start or resume -------------------------------------------------------------------

    def _start_or_resume(self, plan: _Plan) -> tuple[str, set[int]]:
        recorded = self._resume.recorded() if self._resume is not None else None
        if recorded is not None:
            same = (recorded.sha1, recorded.mtime_ms, recorded.part_size) == (
                plan.sha1, plan.mtime_ms, plan.part_size,
            )  # fmt: skip
            done = self._stored_parts(plan, recorded.file_id) if same else None
            if done is not None:
                log.info(
                    "large_file_resumed",
                    b2_name=plan.b2_name,
                    file_id=recorded.file_id,
                    parts_done=len(done),
                )
                return recorded.file_id, done
            cancel_large(self._session, recorded.file_id, reason="superseded")
        else:
            found = self._adopt_unfinished(plan)
            if found is not None:
                done = self._stored_parts(plan, found.file_id)
                if done is not None:
                    self._record(plan, found.file_id)
                    log.info("large_file_resumed", b2_name=plan.b2_name,
                             file_id=found.file_id, parts_done=len(done))  # fmt: skip
                    return found.file_id, done
                cancel_large(self._session, found.file_id, reason="parts_do_not_fit")
        info = {
            **self._seal.info,
            SRC_LAST_MODIFIED_KEY: str(plan.mtime_ms),
            LARGE_FILE_SHA1_KEY: plan.sha1,
        }
        if self._tag:
            info[CLIENT_KEY] = self._tag
        started = self._session.call(
            "start_large_file",
            lambda a: self._raw.start_large_file(
                a.api_url,
                a.authorization_token,
                bucket_id=plan.bucket.bucket_id,
                file_name=plan.b2_name,
                content_type=plan.content_type,
                file_info=info,
                extra=self._seal.start_fields(),
            ),
            probe=lambda: self._adopt_unfinished(plan),
        )
        self._record(plan, started.file_id)
        log.info(
            "large_file_started",
            b2_name=plan.b2_name,
            file_id=started.file_id,
            parts=len(plan.part_sha1s),
        )
        return started.file_id, set()

    def _record(self, plan: _Plan, file_id: str) -> None:
        if self._resume is not None:
            self._resume.record(
                LargeStart(
                    file_id=file_id,
                    sha1=plan.sha1,
                    mtime_ms=plan.mtime_ms,
                    part_size=plan.part_size,
                )
            )

    def _adopt_unfinished(self, plan: _Plan) -> FileVersion | None:
        """This client's unfinished upload of this very source, if any; this client's
        other unfinished uploads of the name are cancelled, other clients' left alone."""
        keep: FileVersion | None = None
        for version in listing.iter_unfinished(self._session, plan.bucket, plan.b2_name):
            if version.file_name != plan.b2_name or not self._is_ours(version):
                continue
            if keep is None and plan.is_same_source(version):
                keep = version
            else:
                cancel_large(self._session, version.file_id, reason="stale")
        return keep

    def _is_ours(self, version: FileVersion) -> bool:
        """Started by this client (untagged ones only when this client has no tag)."""
        return version.file_info.get(CLIENT_KEY, "") == self._tag

    def _stored_parts(self, plan: _Plan, file_id: str) -> set[int] | None:
        """Part numbers already stored with the right bytes; None if the layout differs
        or the large file is gone (finished, cancelled)."""
        try:
            return self._parts_matching(plan, file_id)
        except (RemoteNotFoundError, RemoteBadRequestError):
            return None

    def _parts_matching(self, plan: _Plan, file_id: str) -> set[int] | None:
        done: set[int] = set()
        for part in listing.iter_parts(self._session, file_id):
            if part.part_number > len(plan.part_sha1s):
                return None
            if (part.content_sha1, part.size) == (
                plan.part_sha1s[part.part_number - 1],
                plan.span(part.part_number)[1],
            ):
                done.add(part.part_number)
        return done

    # --- parts -------------------------------------------------------------------------------

    def _send_parts(self, plan: _Plan, source: SourceFile, file_id: str, done: set[int]) -> None:
        todo = [n for n in range(1, len(plan.part_sha1s) + 1) if n not in done]
        if not todo:
            return
        halt = threading.Event()
        with ThreadPoolExecutor(max_workers=min(self._threads, len(todo))) as pool:
            futures = [pool.submit(self._send_part, plan, source, file_id, n, halt) for n in todo]
            _, pending = wait(futures, return_when=FIRST_EXCEPTION)
            if pending:
                halt.set()  # the others stop before their next part
            for future in futures:
                future.result()  # re-raises the first failure in part order

    def _send_part(
        self, plan: _Plan, source: SourceFile, file_id: str, number: int, halt: threading.Event
    ) -> None:
        if halt.is_set():
            return
        source.check()
        offset, length = plan.span(number)
        sha1 = plan.part_sha1s[number - 1]

        def attempt(target: UploadTarget) -> PartInfo:
            body = self._progress(source.read_range(offset, length))
            part = self._raw.upload_part(
                target,
                part_number=number,
                size=length,
                sha1=sha1,
                body=body,
                extra_headers=self._seal.part_headers(),
            )
            if (part.part_number, part.content_sha1, part.size) != (number, sha1, length):
                raise RemoteProtocolError(f"upload_part: B2 stored something else as part {number}")
            return part

        def probe() -> PartInfo | None:
            page = self._session.call(
                "list_parts",
                lambda a: self._raw.list_parts(
                    a.api_url,
                    a.authorization_token,
                    file_id=file_id,
                    start_part_number=number,
                    max_part_count=1,
                ),
            )
            hits = [
                p
                for p in page.parts
                if (p.part_number, p.content_sha1, p.size) == (number, sha1, length)
            ]
            return hits[0] if hits else None

        try:
            self._session.upload(
                "upload_part",
                file_id,
                lambda a: self._raw.get_upload_part_url(a.api_url, a.authorization_token, file_id),
                attempt,
                probe=probe,
            )
        except BaseException:
            halt.set()
            raise

    def _progress(self, chunks: Iterator[bytes]) -> Iterator[bytes]:
        for chunk in chunks:
            yield chunk
            if self._on_progress is not None:
                self._on_progress(len(chunk))


# --- finish and cancel, shared with server-side copies ------------------------------------


def finish_large(session: B2Session, file_id: str, part_sha1s: list[str]) -> FileVersion:
    """``b2_finish_large_file``; a lost answer or an "already finished" is checked, not re-sent."""
    try:
        return session.call(
            "finish_large_file",
            lambda a: session.raw.finish_large_file(
                a.api_url, a.authorization_token, file_id=file_id, part_sha1s=part_sha1s
            ),
            probe=lambda: finished_version(session, file_id),
        )
    except RemoteBadRequestError:
        found = finished_version(session, file_id)
        if found is None:
            raise
        log.info("large_file_already_finished", file_id=file_id)
        return found


def finished_version(session: B2Session, file_id: str) -> FileVersion | None:
    """The finished file ``file_id`` became, or None while it is unfinished or unknown."""
    try:
        version = session.call(
            "get_file_info",
            lambda a: session.raw.get_file_info(a.api_url, a.authorization_token, file_id),
        )
    except (RemoteNotFoundError, RemoteBadRequestError):
        return None
    return version if version.action == "upload" else None


def cancel_large(session: B2Session, file_id: str, *, reason: str) -> None:
    """Best-effort cancel on a failure path: errors are logged, never raised over the cause."""
    try:
        session.call(
            "cancel_large_file",
            lambda a: session.raw.cancel_large_file(a.api_url, a.authorization_token, file_id),
        )
    except (RemoteNotFoundError, RemoteBadRequestError) as exc:
        log.info("large_file_cancel_not_needed", file_id=file_id, code=exc.code)
        return
    except RemoteError as exc:
        log.warning("large_file_cancel_failed", file_id=file_id, code=exc.code, reason=reason)
        return
    log.info("large_file_cancelled", file_id=file_id, reason=reason)
