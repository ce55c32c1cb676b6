"""Large-file uploads: parallel parts, resume, and never a torn or duplicate file.

The sequence:

1. the whole-file SHA-1 (``large_file_sha1``, fixed by ``b2_start_large_file``) is
   taken from the caller when it already hashed these bytes (the same ``LocalState``),
   otherwise computed by one hash-only pass (large reads into one reused buffer);
2. ``syncd.b2.large_start`` resumes this client's unfinished large file of the same
   source (stored parts are checked against the local bytes) or starts a new one;
3. parts go out in parallel, each thread on its own part URL, each part read *once*:
   hashed while it is sent and ended with its SHA-1 (``hex_digits_at_end``), and the
   source re-checked before those 40 digits go out — a part read while the file changed
   is cut short, so B2 never stores it; the SHA-1 B2 reports must be the one computed;
4. the source is re-checked before every part and before finishing; if it moved, the
   large file is cancelled and ``FileChangedError`` raised;
5. a lost answer to start, a part or finish is probed for before anything is re-sent.

Every byte is thus read twice when the caller does not know the SHA-1 (B2 needs it
before the first part) and once when it does; the part SHA-1s cost no read of their own.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from pathlib import Path

import structlog

from syncd.b2.large_file import cancel_large, finish_large
from syncd.b2.large_start import LargePlan, LargeStarter
from syncd.b2.models import Bucket, PartInfo, UploadResult, UploadTarget
from syncd.b2.protect import NO_SEAL, Seal
from syncd.b2.session import B2Session
from syncd.b2.source import HashingBody, SourceFile
from syncd.domain import LocalState
from syncd.errors import LocalError, RemoteBadRequestError, RemoteProtocolError
from syncd.remote import Resume

log = structlog.get_logger(__name__)


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
        self._starter = LargeStarter(session, seal=seal, client_tag=client_tag, resume=resume)

    def run(
        self,
        bucket: Bucket,
        b2_name: str,
        abs_path: Path,
        expected: LocalState,
        *,
        content_type: str,
        part_size: int,
        sha1: str | None = None,
    ) -> UploadResult:
        """Upload ``abs_path`` as a large file named ``b2_name``; ``sha1``: the file's
        SHA-1 when the caller already hashed exactly ``expected``."""
        with SourceFile(abs_path, expected) as source:
            plan = LargePlan(
                bucket=bucket,
                b2_name=b2_name,
                content_type=content_type,
                sha1=sha1 or source.sha1(),
                mtime_ms=expected.mtime_ms,
                size=expected.size,
                part_size=part_size,
            )
            file_id, done = self._starter.begin(plan, source)
            try:
                sha1s = {**done, **self._send_parts(plan, source, file_id, set(done))}
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
            part_sha1s = [sha1s[n] for n in range(1, plan.parts + 1)]
            version = finish_large(self._session, file_id, part_sha1s)
            if version.content_sha1 != plan.sha1 or version.size != plan.size:
                raise RemoteProtocolError(
                    f"finish_large_file: {b2_name!r} does not match the source"
                )
        log.info("large_file_finished", b2_name=b2_name, size_bytes=plan.size, parts=plan.parts)
        return UploadResult(version=version, sha1=plan.sha1, in_parts=True)

    def _send_parts(
        self, plan: LargePlan, source: SourceFile, file_id: str, done: set[int]
    ) -> dict[int, str]:
        """Send every part not in ``done``, ``threads`` at a time; their SHA-1s."""
        todo = [n for n in range(1, plan.parts + 1) if n not in done]
        if not todo:
            return {}
        halt = threading.Event()
        with ThreadPoolExecutor(max_workers=min(self._threads, len(todo))) as pool:
            futures = {
                n: pool.submit(self._send_part, plan, source, file_id, n, halt) for n in todo
            }
            _, pending = wait(futures.values(), return_when=FIRST_EXCEPTION)
            if pending:
                halt.set()  # the others stop before their next part
            # re-raises the first failure in part order
            return {n: future.result() for n, future in futures.items()}

    def _send_part(
        self, plan: LargePlan, source: SourceFile, file_id: str, number: int, halt: threading.Event
    ) -> str:
        if halt.is_set():
            return ""  # never used: a failure of another part is raised instead
        source.check()
        offset, length = plan.span(number)
        bodies: list[HashingBody] = []

        def attempt(target: UploadTarget) -> PartInfo:
            body = HashingBody(source, self._on_progress, offset=offset, length=length)
            bodies.append(body)
            part = self._raw.upload_part(
                target,
                part_number=number,
                size=length,
                sha1=None,
                body=body,
                extra_headers=self._seal.part_headers(),
            )
            if body.sha1 is None or (part.part_number, part.content_sha1, part.size) != (
                number, body.sha1, length,
            ):  # fmt: skip
                raise RemoteProtocolError(f"upload_part: B2 stored something else as part {number}")
            return part

        def probe() -> PartInfo | None:
            sha1 = bodies[-1].sha1 if bodies else None
            if sha1 is None:  # the body never completed: B2 cannot have stored it
                return None
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
            hits = [p for p in page.parts if (p.part_number, p.content_sha1, p.size) == (
                number, sha1, length,
            )]  # fmt: skip
            return hits[0] if hits else None

        try:
            part = self._session.upload(
                "upload_part",
                file_id,
                lambda a: self._raw.get_upload_part_url(a.api_url, a.authorization_token, file_id),
                attempt,
                probe=probe,
            )
        except BaseException:
            halt.set()
            raise
        return part.content_sha1
