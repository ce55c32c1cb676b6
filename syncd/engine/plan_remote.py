"""Pure decisions for a path where B2 moved away from the index: another writer's newer
version, or syncd's version hidden or deleted by someone else.

The reconciler finds such paths in the remote index and queues them (``REMOTE``); the
worker gathers the facts (lstat, index entry, B2's newest version from the remote index,
the sha1 when asked) and ``plan_remote`` decides with the ``[sync] conflict`` policy:

============================  ===================  ==================  ===================
local file / B2               keep-both (default)  local-wins          remote-wins
============================  ===================  ==================  ===================
unchanged / hidden by others  visible again: server-side copy of syncd's version (0 bytes);
                              uploaded when no version is left
unchanged / newer upload      record it, leave     copy syncd's        download B2's
                              both as they are     version on top      version here
changed / newer upload        local bytes go to    upload local as     local bytes to the
(a conflict)                  the conflict name    the newest          conflict name, then
                                                                       download B2's
deleted / newer upload        record it; B2's version stays visible    download it back
same bytes on both sides      adopt B2's version in the index (nothing sent)
============================  ===================  ==================  ===================

Nothing is lost under any policy: B2 keeps every version, and the local bytes are
uploaded before anything replaces them.
"""

from __future__ import annotations

from dataclasses import dataclass

from syncd.domain import B2Name, ConflictKind, IndexEntry, LocalState, RelPath
from syncd.engine.plan import (
    Action,
    CopyFrom,
    Facts,
    Forget,
    NeedHash,
    Policy,
    Skip,
    Upload,
    plan,
)
from syncd.remote import FileVersion

CONTENT = ("upload", "copy")


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteFacts:
    """What the remote index says about the path's B2 name."""

    newest: FileVersion | None  # B2's newest version (an upload, a copy or a hide marker)
    newest_ours: bool  # this client wrote it
    indexed_present: bool  # the version the index names is still on B2


@dataclass(frozen=True, slots=True, kw_only=True)
class KeepBoth:
    """Upload the local file under a conflict name beside the other writer's version."""

    local: LocalState
    b2_name: B2Name  # the contested name; the executor derives the conflict name


@dataclass(frozen=True, slots=True, kw_only=True)
class TakeRemote:
    """Download B2's newest version into the folder (after saving the local bytes under
    a conflict name when ``keep_local``)."""

    version: FileVersion
    rel_path: RelPath
    local: LocalState | None
    keep_local: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class AdoptRemote:
    """B2's newest version already holds the local bytes: record it, send nothing."""

    local: LocalState
    version: FileVersion
    sha1: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Noted:
    """Do ``action`` and record the meeting of the two writers."""

    action: Action | KeepBoth | TakeRemote
    rel_path: RelPath
    kind: ConflictKind
    remote_file_id: str
    resolution: str


RemoteAction = Action | KeepBoth | TakeRemote | AdoptRemote | Noted


def decide(facts: Facts, remote: RemoteFacts | None, policy: Policy) -> RemoteAction:
    """The action for a path: ``plan_remote`` when B2 moved away, else ``plan``."""
    action = plan_remote(facts, remote, policy) if remote is not None else None
    return plan(facts, policy) if action is None else action


def plan_remote(facts: Facts, remote: RemoteFacts, policy: Policy) -> RemoteAction | None:
    """What B2's divergence needs, or None when the usual plan covers it."""
    indexed, newest = facts.indexed, remote.newest
    if indexed is None:
        return None
    if newest is not None and (newest.file_id == indexed.file_id or remote.newest_ours):
        return None  # B2's newest is syncd's own: nothing diverged (any longer)
    if newest is None or newest.action not in CONTENT:
        return _lost(facts, indexed, remote)
    return _foreign(facts, indexed, newest, policy)


def _lost(facts: Facts, indexed: IndexEntry, remote: RemoteFacts) -> RemoteAction | None:
    """Someone hid or deleted syncd's version of a file."""
    local = facts.local
    gone_id = remote.newest.file_id if remote.newest is not None else indexed.file_id
    if local is None:
        return Noted(
            rel_path=indexed.rel_path,
            action=Forget(indexed=indexed),
            kind=ConflictKind.REMOTE_HIDDEN,
            remote_file_id=gone_id,
            resolution="deleted here too; nothing to do on B2",
        )
    if not local.same_identity(indexed):
        return None  # changed here as well: the usual upload makes it visible again
    if remote.indexed_present:
        revive = CopyFrom(local=local, b2_name=indexed.b2_name, source=indexed, reason="revive")
        how = "made visible again by a server-side copy"
        return Noted(
            rel_path=indexed.rel_path,
            action=revive,
            kind=ConflictKind.REMOTE_HIDDEN,
            remote_file_id=gone_id,
            resolution=how,
        )
    return Noted(
        rel_path=indexed.rel_path,
        action=Upload(local=local, b2_name=indexed.b2_name),
        kind=ConflictKind.REMOTE_HIDDEN,
        remote_file_id=gone_id,
        resolution="uploaded again: no version was left on B2",
    )


def _foreign(
    facts: Facts, indexed: IndexEntry, newest: FileVersion, policy: Policy
) -> RemoteAction:
    """Another writer put a newer version of the name on B2."""
    local, name = facts.local, indexed.b2_name
    if local is None:
        if policy.conflict == "remote-wins":
            action: Action | TakeRemote = TakeRemote(
                version=newest, rel_path=indexed.rel_path, local=None, keep_local=False
            )
            how = "B2's newer version downloaded"
        else:
            action, how = Forget(indexed=indexed), "B2's newer version kept; not hidden"
        return Noted(
        rel_path=indexed.rel_path,
            action=action, kind=ConflictKind.DELETED_HERE, remote_file_id=newest.file_id,
            resolution=how,
        )  # fmt: skip
    changed = not local.same_identity(indexed)
    if changed:
        if facts.local_sha1 is None:
            return NeedHash(local=local)
        if facts.local_sha1 == newest.content_sha1:
            return AdoptRemote(local=local, version=newest, sha1=facts.local_sha1)
        changed = facts.local_sha1 != indexed.sha1
    if not changed:
        return _remote_update(local, indexed, newest, policy)
    if policy.conflict == "local-wins":
        conflict: Action | KeepBoth | TakeRemote = Upload(local=local, b2_name=name)
        how = "local version uploaded as the newest"
    elif policy.conflict == "remote-wins":
        conflict = TakeRemote(
            version=newest, rel_path=indexed.rel_path, local=local, keep_local=True
        )
        how = "local bytes kept under a conflict name; B2's version downloaded"
    else:
        conflict, how = (
            KeepBoth(local=local, b2_name=name),
            "kept both: local bytes uploaded under a conflict name",
        )
    return Noted(
        rel_path=indexed.rel_path,
        action=conflict,
        kind=ConflictKind.CONFLICT,
        remote_file_id=newest.file_id,
        resolution=how,
    )


def _remote_update(
    local: LocalState, indexed: IndexEntry, newest: FileVersion, policy: Policy
) -> RemoteAction:
    if policy.conflict == "local-wins":
        copy = CopyFrom(local=local, b2_name=indexed.b2_name, source=indexed, reason="local-wins")
        action: Action | TakeRemote = copy
        how = "local version made the newest again by a server-side copy"
    elif policy.conflict == "remote-wins":
        action = TakeRemote(
            version=newest, rel_path=indexed.rel_path, local=local, keep_local=False
        )
        how = "B2's newer version downloaded"
    else:
        action, how = (
            Skip(reason="remote update"),
            "B2's newer version kept; local file left as it is",
        )
    return Noted(
        rel_path=indexed.rel_path,
        action=action, kind=ConflictKind.REMOTE_UPDATE, remote_file_id=newest.file_id,
        resolution=how,
    )  # fmt: skip
