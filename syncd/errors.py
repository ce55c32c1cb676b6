"""The whole exception tree of syncd; every class says how to recover.

Imports nothing from syncd. Foreign exceptions (httpx, sqlite, OSError) are
translated into these classes once, at the adapter that meets them, and chained
with ``raise ... from exc``.

::

    SyncdError                      base; ``recovery`` says who handles it and how
    ├── ConfigError                 FATAL    bad or missing config -> exit 78
    ├── UsageError                  FATAL    a command's arguments cannot work -> exit 2
    ├── JournalError                FATAL    journal unusable
    │   ├── JournalFullError        PAUSE_POOL  its disk is full: rest 10 s, try again
    │   └── JournalLockedError      FATAL    another syncd owns this journal
    ├── LocalError                  PER_JOB  carries ``rel_path``
    │   ├── FileVanishedError       REQUEUE  gone while read: look again once it settles
    │   ├── FileChangedError        REQUEUE  changed while read: look again once it settles
    │   ├── LocalAccessError        SKIP     unreadable, or a name B2 cannot hold
    │   │   └── UnsafePathError     SKIP     a restore would write through a symlink
    │   ├── RestoreConflictError    PER_JOB  the local file changed while a restore ran
    │   └── SpecialFileError        SKIP     FIFO, socket, device: skipped, never opened
    ├── SafetyStopError             PAUSE    a guard refused (mass delete, root gone)
    ├── ServiceError                FATAL    a service unit cannot be written or started
    ├── EncryptionKeyMissingError   SKIP     an SSE-C version whose key is not configured
    └── RemoteError                 carries ``status``, ``code``, ``retry_after_s``
        ├── RemoteTransientError    BACKOFF  5xx, 408, resets, timeouts
        │   ├── RateLimitedError    BACKOFF  429; honour ``retry_after_s``
        │   └── AmbiguousOutcomeError BACKOFF sent, no answer: probe before re-sending
        ├── AuthExpiredError        REAUTH   re-authorize once, then replay
        ├── UploadTargetError       NEW_UPLOAD_TARGET  drop the URL, take a fresh one
        ├── AuthRejectedError       FATAL    wrong key or missing capability -> exit 77
        ├── CapExceededError        PAUSE_POOL  storage/transaction/download cap
        ├── RemoteNotFoundError     PER_JOB
        ├── RemoteConflictError     PER_JOB  the remote changed under us (409, already hidden)
        ├── RemoteBadRequestError   PER_JOB  invalid name or request
        │   └── AccessDeniedError   PER_JOB  403 access_denied: wrong SSE-C key, Object Lock
        │       └── VersionLockedError SKIP  a delete refused: retention or legal hold
        └── RemoteProtocolError     BACKOFF  a response that is not what B2 sends
"""

from __future__ import annotations

import enum


class Recovery(enum.Enum):
    """How an error is recovered from, and so which layer handles it.

    The B2 session handles BACKOFF, REAUTH and NEW_UPLOAD_TARGET itself (retrying);
    one that still reaches the worker fails the job like PER_JOB. The worker dispatches
    on the rest with ``match exc.recovery``.
    """

    BACKOFF = "backoff"  # wait and retry the call (the session), then fail the job
    REAUTH = "reauth"  # authorize again and replay (the session)
    NEW_UPLOAD_TARGET = "new_upload_target"  # drop the upload URL, take another (session)
    PER_JOB = "per_job"  # fail this job with a backoff; it is retried, never dropped
    REQUEUE = "requeue"  # look at the path again once it settled; no attempt counted
    SKIP = "skip"  # report the item once and leave it; the rest goes on
    PAUSE = "pause"  # a guard refused this job: fail it with a long floor, say why
    PAUSE_POOL = "pause_pool"  # stop every worker for a while (a cap was reached)
    FATAL = "fatal"  # stop syncd; the exit code says why


class SyncdError(Exception):
    """Base of every error syncd raises on purpose."""

    recovery: Recovery = Recovery.FATAL
    exit_code: int = 1
    pause_s: float = 300.0  # with PAUSE_POOL: how long every worker rests


class ConfigError(SyncdError):
    """The configuration is missing, malformed or names something that cannot work."""

    exit_code = 78  # EX_CONFIG


class UsageError(SyncdError):
    """A command's arguments cannot work (unknown folder, bad TIME, exclusive options)."""

    exit_code = 2


class JournalError(SyncdError):
    """The journal database cannot be opened, read or written."""

    exit_code = 74  # EX_IOERR


class JournalFullError(JournalError):
    """The journal's disk is full: every worker rests, then tries again."""

    recovery = Recovery.PAUSE_POOL
    pause_s = 10.0


class JournalLockedError(JournalError):
    """Another syncd process holds the journal's instance lock."""

    exit_code = 75  # EX_TEMPFAIL


class LocalError(SyncdError):
    """A problem with one local file; the job fails, the rest goes on."""

    recovery = Recovery.PER_JOB

    def __init__(self, message: str, *, rel_path: str = "") -> None:
        super().__init__(message)
        self.rel_path = rel_path


class FileVanishedError(LocalError):
    """The file disappeared while it was read; the job is queued again."""

    recovery = Recovery.REQUEUE


class FileChangedError(LocalError):
    """The file changed while it was read; the job is queued again."""

    recovery = Recovery.REQUEUE


class LocalAccessError(LocalError):
    """The file cannot be read, or its name cannot become a B2 name."""

    recovery = Recovery.SKIP


class UnsafePathError(LocalAccessError):
    """A restore would have to follow a symlink or cross a file to reach its path."""


class RestoreConflictError(LocalError):
    """What stands at a restore's path changed (or appeared) while the download ran:
    it is left alone and listed as in the way."""


class SpecialFileError(LocalError):
    """A FIFO, socket or device: skipped without ever being opened."""

    recovery = Recovery.SKIP


class SafetyStopError(SyncdError):
    """A safety guard refused to go on (mass delete, missing or replaced root)."""

    recovery = Recovery.PAUSE


class ServiceError(SyncdError):
    """``syncd service``: a unit file cannot be written or the service manager refused."""

    exit_code = 73  # EX_CANTCREAT


class EncryptionKeyMissingError(SyncdError):
    """An SSE-C version needs a key that is not configured: nothing is downloaded."""

    recovery = Recovery.SKIP


class RemoteError(SyncdError):
    """An error reported by B2 or met on the way to it."""

    recovery = Recovery.BACKOFF

    def __init__(
        self,
        message: str,
        *,
        status: int = 0,
        code: str = "",
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.retry_after_s = retry_after_s


class RemoteTransientError(RemoteError):
    """5xx, 408, connection resets and timeouts: back off and retry."""

    exit_code = 75


class RateLimitedError(RemoteTransientError):
    """429: wait at least ``retry_after_s`` before the next request."""


class AmbiguousOutcomeError(RemoteTransientError):
    """The request was sent and no answer came: probe before re-sending."""


class AuthExpiredError(RemoteError):
    """The account token expired or went bad: re-authorize once and replay."""

    recovery = Recovery.REAUTH


class UploadTargetError(RemoteError):
    """The upload URL failed: throw it away and take a fresh one."""

    recovery = Recovery.NEW_UPLOAD_TARGET


class AuthRejectedError(RemoteError):
    """Wrong key, or the key lacks a capability or bucket the config needs."""

    recovery = Recovery.FATAL
    exit_code = 77  # EX_NOPERM


class CapExceededError(RemoteError):
    """A storage, transaction or download cap was reached: stop claiming work."""

    recovery = Recovery.PAUSE_POOL
    exit_code = 75


class RemoteNotFoundError(RemoteError):
    """The file, version or bucket does not exist."""

    recovery = Recovery.PER_JOB


class RemoteConflictError(RemoteError):
    """The remote state is not what the request assumed."""

    recovery = Recovery.PER_JOB


class RemoteBadRequestError(RemoteError):
    """B2 refused the request as invalid (bad name, bad file info, bad part)."""

    recovery = Recovery.PER_JOB


class AccessDeniedError(RemoteBadRequestError):
    """403 ``access_denied``: a wrong or missing SSE-C key, or Object Lock refused."""


class VersionLockedError(AccessDeniedError):
    """B2 refused to delete a version under retention or legal hold; it stays."""

    recovery = Recovery.SKIP


class RemoteProtocolError(RemoteError):
    """The answer is not what B2 sends (HTML from a proxy, truncated or odd JSON)."""

    recovery = Recovery.BACKOFF
