"""Starting a large file, or resuming the one this client left unfinished.

The large file the journal recorded for this path (``Resume``) is resumed by its file
id when it holds the same source (same ``large_file_sha1``, mtime and part size). A
journal with no record for the path means no start was sent (each is recorded before
it goes): a new one starts with no listing. With a record that has no id yet (a crash
before the start's answer), or no journal at all, an unfinished one of that
name that *this client* started (``syncd_client`` in its file info) with the same
``large_file_sha1`` and ``src_last_modified_millis`` is adopted, recorded, and this
client's other ones are cancelled. Unfinished large files that another client started
are never touched. A part already stored counts as done only when its size and SHA-1
match the same bytes of the local file (hashed now, from the held file); a candidate
whose parts do not fit is cancelled. Otherwise ``b2_start_large_file`` with the keys in
the file info, recorded through ``Resume.record`` before it is sent (with no id yet,
so a path that needs it no more has what may be on B2 cancelled by name) and again with
its id before any part is sent.
"""

from __future__ import annotations

from dataclasses import dataclass

import structlog

from syncd.b2 import listing
from syncd.b2.large_file import cancel_large
from syncd.b2.models import LARGE_FILE_SHA1_KEY, SRC_LAST_MODIFIED_KEY, Bucket, FileVersion
from syncd.b2.protect import Seal
from syncd.b2.session import B2Session
from syncd.b2.source import SourceFile
from syncd.errors import RemoteBadRequestError, RemoteNotFoundError
from syncd.remote import CLIENT_KEY, LargeStart, Resume

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class LargePlan:
    """One source cut into parts: what the large file is started with."""

    bucket: Bucket
    b2_name: str
    content_type: str
    sha1: str
    mtime_ms: int
    size: int
    part_size: int

    @property
    def parts(self) -> int:
        """How many parts (the last may be shorter)."""
        return max(1, -(-self.size // self.part_size))

    def span(self, number: int) -> tuple[int, int]:
        """(offset, length) of part ``number`` (from 1)."""
        offset = (number - 1) * self.part_size
        return offset, min(self.part_size, self.size - offset)

    def is_same_source(self, version: FileVersion) -> bool:
        """The unfinished ``version`` was started for these very bytes and this mtime."""
        return (
            version.file_info.get(LARGE_FILE_SHA1_KEY) == self.sha1
            and version.src_last_modified_ms == self.mtime_ms
        )


class LargeStarter:
    """Finds a large file to resume, or starts one; ``begin`` is the entry point."""

    def __init__(
        self, session: B2Session, *, seal: Seal, client_tag: str, resume: Resume | None
    ) -> None:
        self._session = session
        self._seal = seal
        self._tag = client_tag
        self._resume = resume

    def begin(self, plan: LargePlan, source: SourceFile) -> tuple[str, dict[int, str]]:
        """(file id, {part number: SHA-1} of the parts already stored with these bytes)."""
        resumed = self._resumable(plan, source)
        if resumed is not None:
            return resumed
        return self._start(plan), {}

    def _resumable(self, plan: LargePlan, source: SourceFile) -> tuple[str, dict[int, str]] | None:
        recorded = self._resume.recorded() if self._resume is not None else None
        if self._resume is not None and recorded is None:
            return None  # every start is recorded before it is sent: none was made
        if recorded is not None and not recorded.file_id:
            recorded = None  # a start whose answer was lost: found by name, as unrecorded
        if recorded is not None:
            file_id, fits = (
                recorded.file_id,
                (
                    (recorded.sha1, recorded.mtime_ms, recorded.part_size)
                    == (plan.sha1, plan.mtime_ms, plan.part_size)
                ),
            )
        else:
            found = self._adopt_unfinished(plan)
            if found is None:
                return None
            file_id, fits = found.file_id, True
        done = self._stored_parts(plan, source, file_id) if fits else None
        if done is None:
            cancel_large(
                self._session, file_id, reason="parts_do_not_fit" if fits else "superseded"
            )
            return None
        if recorded is None:
            self._record(plan, file_id)
        log.info("large_file_resumed", b2_name=plan.b2_name, file_id=file_id, parts_done=len(done))
        return file_id, done

    def _start(self, plan: LargePlan) -> str:
        info = {
            **self._seal.info,
            SRC_LAST_MODIFIED_KEY: str(plan.mtime_ms),
            LARGE_FILE_SHA1_KEY: plan.sha1,
        }
        if self._tag:
            info[CLIENT_KEY] = self._tag
        self._record(plan, "")  # a crash before the answer leaves a start of unknown id
        started = self._session.call(
            "start_large_file",
            lambda a: self._session.raw.start_large_file(
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
            "large_file_started", b2_name=plan.b2_name, file_id=started.file_id, parts=plan.parts
        )
        return started.file_id

    def _record(self, plan: LargePlan, file_id: str) -> None:
        if self._resume is not None:
            self._resume.record(
                LargeStart(
                    file_id=file_id,
                    sha1=plan.sha1,
                    mtime_ms=plan.mtime_ms,
                    part_size=plan.part_size,
                )
            )

    def _adopt_unfinished(self, plan: LargePlan) -> FileVersion | None:
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

    def _stored_parts(
        self, plan: LargePlan, source: SourceFile, file_id: str
    ) -> dict[int, str] | None:
        """Parts already stored with the right bytes, with their SHA-1; None if the layout
        differs or the large file is gone (finished, cancelled)."""
        done: dict[int, str] = {}
        try:
            for part in listing.iter_parts(self._session, file_id):
                if part.part_number > plan.parts:
                    return None
                offset, length = plan.span(part.part_number)
                if part.size == length and part.content_sha1 == source.sha1(offset, length):
                    done[part.part_number] = part.content_sha1
        except (RemoteNotFoundError, RemoteBadRequestError):
            return None
        return done
