"""Bucket calls: b2_list_buckets, b2_create_bucket, b2_update_bucket, b2_delete_bucket.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from syncd.emulator.auth import Principal, authenticate
from syncd.emulator.bucket_settings import guarded_changes
from syncd.emulator.call import Call
from syncd.emulator.models import Bucket
from syncd.emulator.names import check_bucket_name
from syncd.emulator.problem import ApiError, bad_request, unauthorized
from syncd.emulator.render import bucket_json
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState

BUCKET_TYPES = ("allPrivate", "allPublic")
MAX_BUCKETS = 100


def _bucket_type(value: str | None, default: str | None) -> str | None:
    if value is None:
        return default
    if value not in BUCKET_TYPES:
        raise bad_request(f"bucketType must be one of {', '.join(BUCKET_TYPES)}")
    return value


def owned_bucket(state: EmulatorState, principal: Principal, bucket_id: str) -> Bucket:
    """The bucket with this id, after the key's bucket restriction check.

    Raises:
        ApiError: 401 when restricted away, 400 bad_bucket_id when missing.
    """
    principal.require_bucket(bucket_id)
    bucket = state.buckets.by_id(bucket_id)
    if bucket is None:
        raise bad_request(f"Invalid bucketId: {bucket_id}", "bad_bucket_id")
    return bucket


async def list_buckets(state: EmulatorState, call: Call) -> Response:
    """b2_list_buckets, filtered by id, name and type; restricted keys must name a bucket."""
    principal = authenticate(state, call.request)
    principal.require("listBuckets")
    principal.require_account(call.params.opt_str("accountId"))
    bucket_id = call.params.opt_str("bucketId")
    name = call.params.opt_str("bucketName")
    types = call.params.opt_list("bucketTypes") or ["all"]
    allowed = principal.key.bucket_ids
    if allowed is not None:
        named = [b for b in allowed if b == bucket_id or _name_of(state, b) == name]
        if not named:
            raise unauthorized(f"application key is restricted to bucket ids {list(allowed)}")
    found = [
        bucket
        for bucket in state.buckets.all()
        if (bucket_id is None or bucket.bucket_id == bucket_id)
        and (name is None or bucket.name == name)
        and ("all" in types or bucket.bucket_type in types)
        and principal.allows_bucket(bucket.bucket_id)
    ]
    caps = principal.key.capabilities
    return json_reply({"buckets": [bucket_json(b, state.account_id, caps) for b in found]})


def _name_of(state: EmulatorState, bucket_id: str) -> str | None:
    bucket = state.buckets.by_id(bucket_id)
    return None if bucket is None else bucket.name


async def create_bucket(state: EmulatorState, call: Call) -> Response:
    """b2_create_bucket: ``400 duplicate_bucket_name`` when the name is taken."""
    principal = authenticate(state, call.request)
    principal.require("writeBuckets")
    principal.require_account(call.params.opt_str("accountId"))
    if principal.key.bucket_ids is not None:
        raise unauthorized("a key restricted to buckets cannot create buckets")
    name = check_bucket_name(call.params.req_str("bucketName"))
    bucket_type = _bucket_type(call.params.req_str("bucketType"), None)
    assert bucket_type is not None
    if state.buckets.name_taken(name):
        raise bad_request(f"Bucket name is already in use: {name}", "duplicate_bucket_name")
    if state.buckets.count() >= MAX_BUCKETS:
        raise bad_request(f"an account may have at most {MAX_BUCKETS} buckets", "too_many_buckets")
    guarded = guarded_changes(principal, call, file_lock_enabled=False)
    bucket = state.buckets.create(
        name,
        bucket_type,
        info=call.params.opt_dict("bucketInfo"),
        cors_rules=call.params.opt_list("corsRules"),
        lifecycle_rules=call.params.opt_list("lifecycleRules"),
        file_lock_enabled=bool(guarded.get("file_lock_enabled")),
        default_sse=guarded.get("default_sse"),
        replication=guarded.get("replication"),
        default_retention=guarded.get("default_retention"),
    )
    return json_reply(bucket_json(bucket, state.account_id, principal.key.capabilities))


async def update_bucket(state: EmulatorState, call: Call) -> Response:
    """b2_update_bucket: ``409 conflict`` when ``ifRevisionIs`` does not match."""
    principal = authenticate(state, call.request)
    principal.require("writeBuckets")
    principal.require_account(call.params.opt_str("accountId"))
    bucket = owned_bucket(state, principal, call.params.req_str("bucketId"))
    expected = call.params.opt_int("ifRevisionIs")
    if expected is not None and expected != bucket.revision:
        raise ApiError(409, "conflict", f"bucket revision is {bucket.revision}, not {expected}")
    changes: dict[str, Any] = {}
    new_type = _bucket_type(call.params.opt_str("bucketType"), None)
    if new_type is not None:
        changes["bucket_type"] = new_type
    info = call.params.opt_dict("bucketInfo")
    if info is not None:
        changes["info"] = info
    for param, field in (("corsRules", "cors_rules"), ("lifecycleRules", "lifecycle_rules")):
        rules = call.params.opt_list(param)
        if rules is not None:
            changes[field] = rules
    changes.update(guarded_changes(principal, call, file_lock_enabled=bucket.file_lock_enabled))
    updated = state.buckets.update(bucket, **changes)
    return json_reply(bucket_json(updated, state.account_id, principal.key.capabilities))


async def delete_bucket(state: EmulatorState, call: Call) -> Response:
    """b2_delete_bucket: only empty buckets (no versions, no unfinished large files)."""
    principal = authenticate(state, call.request)
    principal.require("deleteBuckets")
    principal.require_account(call.params.opt_str("accountId"))
    bucket = owned_bucket(state, principal, call.params.req_str("bucketId"))
    if state.versions.has_any(bucket.bucket_id):
        raise bad_request(
            f"Cannot delete non-empty bucket {bucket.name}", "cannot_delete_non_empty_bucket"
        )
    state.buckets.delete(bucket.bucket_id)
    return json_reply(bucket_json(bucket, state.account_id, principal.key.capabilities))
