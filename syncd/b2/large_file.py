"""The calls that close a large file, shared by uploads and server-side copies, and its
part size.

``finish_large`` and ``cancel_large`` never turn a lost answer into a second request:
a finish whose answer was lost is looked up, and a cancel on a failure path never
raises over the failure that caused it.
"""

from __future__ import annotations

import math

import structlog

from syncd.b2.models import Authorization, FileVersion
from syncd.b2.session import B2Session
from syncd.errors import RemoteBadRequestError, RemoteError, RemoteNotFoundError

log = structlog.get_logger(__name__)
MAX_PARTS = 10_000
MAX_PART_BYTES = 5_000_000_000


def choose_part_size(size: int, auth: Authorization, configured: int | None) -> int:
    """Configured or recommended, at least the absolute minimum, at most 10,000 parts."""
    part = configured or auth.recommended_part_size
    part = max(part, auth.absolute_minimum_part_size, math.ceil(size / MAX_PARTS))
    return min(part, MAX_PART_BYTES)


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
