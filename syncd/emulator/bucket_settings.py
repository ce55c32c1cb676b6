"""Bucket settings that need their own capabilities: encryption, Object Lock, replication.

``defaultServerSideEncryption`` needs ``writeBucketEncryption``; turning
``fileLockEnabled`` on and ``defaultRetention`` need ``writeBucketRetentions``;
``replicationConfiguration`` needs ``writeBucketReplications`` (missing: ``401
unauthorized``). File lock cannot be turned off once on, and a default retention needs
file lock. Replication rules are stored and echoed only: the emulator never replicates
anything. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from typing import Any

from syncd.emulator import locks
from syncd.emulator.auth import Principal
from syncd.emulator.call import Call
from syncd.emulator.problem import bad_request

LOCK_OFF_MESSAGE = (
    "fileLockEnabled value of false is not allowed when bucket is already file lock enabled."
)


def default_sse(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A checked bucket ``defaultServerSideEncryption`` (SSE-B2 or none), or None."""
    if value is None:
        return None
    mode = value.get("mode")
    if mode not in (None, "none", "SSE-B2"):
        raise bad_request("defaultServerSideEncryption mode must be SSE-B2 or none")
    if mode in (None, "none"):
        return {"mode": None, "algorithm": None}
    return {"mode": "SSE-B2", "algorithm": value.get("algorithm") or "AES256"}


def guarded_changes(principal: Principal, call: Call, *, file_lock_enabled: bool) -> dict[str, Any]:
    """Bucket fields to change from a create/update request, after capability checks."""
    params = call.params
    changes: dict[str, Any] = {}
    sse = default_sse(params.opt_dict("defaultServerSideEncryption"))
    if sse is not None:
        principal.require("writeBucketEncryption")
        changes["default_sse"] = sse
    lock = params.opt_bool("fileLockEnabled")
    if lock is False and file_lock_enabled:
        raise bad_request(LOCK_OFF_MESSAGE)
    if lock and not file_lock_enabled:  # only turning it on needs the capability
        principal.require("writeBucketRetentions")
        changes["file_lock_enabled"] = True
    retention = locks.default_retention(params.opt_dict("defaultRetention"))
    if retention is not None:
        principal.require("writeBucketRetentions")
        if not (file_lock_enabled or changes.get("file_lock_enabled")):
            raise bad_request("a default retention needs a bucket with file lock enabled")
        changes["default_retention"] = retention
    if params.has("replicationConfiguration"):
        principal.require("writeBucketReplications")
        replication = params.opt_dict("replicationConfiguration")
        changes["replication"] = replication
    return changes
