"""Pure decisions: what one pending path needs, from what is known about it.

Imports ``syncd.domain`` only. No I/O, no clock, no threads: ``plan`` is a function
of its facts and is table-tested. The worker gathers the facts (lstat, index entry,
a rename candidate, the sha1 when asked for it) and executes the returned action.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncd.domain import B2Name, IndexEntry, LocalState, mtime_ms_of


@dataclass(frozen=True, slots=True, kw_only=True)
class Policy:
    """The user's choices that change decisions (``[sync]`` delete, touch, conflict)."""

    delete: str = "hide"  # "hide" | "keep" | "delete-all-versions"
    touch: str = "copy"  # "copy" | "upload" | "ignore"
    conflict: str = "keep-both"  # "keep-both" | "local-wins" | "remote-wins"


@dataclass(frozen=True, slots=True, kw_only=True)
class Facts:
    """Everything known about one path when its job is planned."""

    b2_name: B2Name
    local: LocalState | None  # None: no regular file at the path now
    indexed: IndexEntry | None  # what syncd last put on B2 for this path
    local_sha1: str | None = None  # known once the worker hashed the file
    moved_from: IndexEntry | None = None  # same (dev, inode) recorded under another path
    maybe_sent: bool = False  # a process that died held this path's job mid-send


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """Send the bytes."""

    local: LocalState
    b2_name: B2Name
    sha1: str | None = None  # when the planner hashed exactly ``local``: no second hash pass


@dataclass(frozen=True, slots=True, kw_only=True)
class CopyFrom:
    """Server-side copy of a version B2 already has, with the local mtime; no bytes sent."""

    local: LocalState
    b2_name: B2Name
    source: IndexEntry
    reason: str  # "rename" | "touch"


@dataclass(frozen=True, slots=True, kw_only=True)
class Hide:
    """Hide the name on B2 (recoverable: the versions stay)."""

    indexed: IndexEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteAllVersions:
    """Delete every version of the name on B2 (permanent)."""

    indexed: IndexEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Forget:
    """Drop the index entry and leave B2 as it is (``delete = "keep"``)."""

    indexed: IndexEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class Refresh:
    """B2 already holds these bytes with this mtime: record the new local identity."""

    local: LocalState
    indexed: IndexEntry


@dataclass(frozen=True, slots=True, kw_only=True)
class NeedHash:
    """The decision needs the file's sha1: hash it and plan again."""

    local: LocalState


@dataclass(frozen=True, slots=True, kw_only=True)
class HideOrphan:
    """A send that a dead process made may have stored this name although the file is
    gone now: look on B2 and hide what is there."""

    b2_name: B2Name


@dataclass(frozen=True, slots=True, kw_only=True)
class Skip:
    """Nothing to do."""

    reason: str


Action = (
    Upload | CopyFrom | Hide | DeleteAllVersions | Forget | Refresh | HideOrphan | NeedHash | Skip
)


def plan(facts: Facts, policy: Policy) -> Action:
    """Decide what the path needs. Never uploads unchanged bytes, never hides a file
    that exists (the caller passes ``local=None`` only after lstat found nothing)."""
    local, indexed = facts.local, facts.indexed
    if local is None:
        if indexed is None and facts.maybe_sent and policy.delete != "keep":
            return HideOrphan(b2_name=facts.b2_name)
        return _plan_absent(indexed, policy)
    if indexed is None:
        moved = facts.moved_from
        if moved is not None and moved.size == local.size and moved.mtime_ns == local.mtime_ns:
            return CopyFrom(local=local, b2_name=facts.b2_name, source=moved, reason="rename")
        return Upload(local=local, b2_name=facts.b2_name)
    if local.same_identity(indexed):
        return Skip(reason="unchanged")
    if local.size != indexed.size:
        return Upload(local=local, b2_name=facts.b2_name)
    if facts.local_sha1 is None:
        return NeedHash(local=local)
    if facts.local_sha1 != indexed.sha1:
        return Upload(local=local, b2_name=facts.b2_name, sha1=facts.local_sha1)
    if local.mtime_ms == mtime_ms_of(indexed.mtime_ns):
        return Refresh(local=local, indexed=indexed)  # only ctime or inode moved
    if policy.touch == "copy":
        return CopyFrom(local=local, b2_name=facts.b2_name, source=indexed, reason="touch")
    if policy.touch == "upload":
        return Upload(local=local, b2_name=facts.b2_name, sha1=facts.local_sha1)
    return Refresh(local=local, indexed=indexed)


def _plan_absent(indexed: IndexEntry | None, policy: Policy) -> Action:
    if indexed is None:
        return Skip(reason="absent and never uploaded")
    if policy.delete == "keep":
        return Forget(indexed=indexed)
    if policy.delete == "delete-all-versions":
        return DeleteAllVersions(indexed=indexed)
    return Hide(indexed=indexed)
