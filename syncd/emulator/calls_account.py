"""Account calls: b2_authorize_account, create/list/delete keys, download authorization.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

from starlette.responses import Response

from syncd.emulator.auth import authenticate
from syncd.emulator.call import Call
from syncd.emulator.ids import new_key_id, new_key_secret
from syncd.emulator.keys import KNOWN_CAPABILITIES
from syncd.emulator.models import AppKey
from syncd.emulator.problem import bad_request, unauthorized
from syncd.emulator.render import authorize_json, key_json
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState
from syncd.emulator.testmode import EXPIRE_SOME_TOKENS
from syncd.emulator.tokens import DownloadGrant

_KEY_NAME = re.compile(r"[A-Za-z0-9-]{1,100}")
MAX_KEY_SECONDS = 1000 * 86400
MAX_DOWNLOAD_SECONDS = 604_800


def _basic_credentials(header: str) -> tuple[str, str]:
    scheme, _, encoded = header.strip().partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise unauthorized("authorize_account needs Basic authorization")
    try:
        key_id, colon, secret = base64.b64decode(encoded, validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise unauthorized("malformed Basic authorization") from None
    if not colon:
        raise unauthorized("malformed Basic authorization")
    return key_id, secret


def _restriction(state: EmulatorState, key: AppKey) -> list[dict[str, Any]] | None:
    if key.bucket_ids is None:
        return None
    result: list[dict[str, Any]] = []
    for bucket_id in key.bucket_ids:
        bucket = state.buckets.by_id(bucket_id)
        result.append({"id": bucket_id, "name": None if bucket is None else bucket.name})
    return result


async def authorize_account(state: EmulatorState, call: Call) -> Response:
    """Check Basic credentials and mint an account token (shape per API version)."""
    key_id, secret = _basic_credentials(call.request.headers.get("authorization", ""))
    if key_id == state.account_id:
        key_id = state.keys.master.key_id
    key = state.keys.get(key_id)
    if key is None or not hmac.compare_digest(key.secret.encode(), secret.encode()):
        raise unauthorized("invalid application key id or application key")
    now = state.now_ms()
    if key.expires_ms is not None and key.expires_ms <= now:
        raise unauthorized("application key has expired")
    if call.version <= 3 and key.bucket_ids is not None and len(key.bucket_ids) > 1:
        raise bad_request(
            "keys restricted to several buckets are not currently supported on API version "
            f"number {call.version}"
        )
    budget = state.modes.token_budget() if EXPIRE_SOME_TOKENS in call.modes else None
    token = state.tokens.issue_account(key.key_id, now, budget)
    return json_reply(
        authorize_json(
            api_version=call.version,
            account_id=state.account_id,
            token=token,
            base_url=state.base_url,
            key=key,
            buckets=_restriction(state, key),
            recommended_part_size=state.options.recommended_part_size,
            absolute_minimum_part_size=state.options.absolute_minimum_part_size,
            s3_url=state.s3_url,
        )
    )


def _key_buckets(state: EmulatorState, call: Call) -> tuple[str, ...] | None:
    ids: list[Any] | None = call.params.opt_list("bucketIds")
    single = call.params.opt_str("bucketId")
    if ids is None and single is not None:
        ids = [single]
    if ids is None:
        return None
    if not ids or not all(isinstance(i, str) for i in ids):
        raise bad_request("bucketIds must be a non-empty list of bucket ids")
    for bucket_id in ids:
        if state.buckets.by_id(bucket_id) is None:
            raise bad_request(f"bucket {bucket_id} does not exist", "bad_bucket_id")
    return tuple(ids)


async def create_key(state: EmulatorState, call: Call) -> Response:
    """b2_create_key: store a key with capabilities, bucket and name-prefix restrictions."""
    principal = authenticate(state, call.request)
    principal.require("writeKeys")
    principal.require_account(call.params.opt_str("accountId"))
    capabilities = call.params.opt_list("capabilities") or []
    unknown = [c for c in capabilities if c not in KNOWN_CAPABILITIES]
    if not capabilities or unknown:
        raise bad_request(f"capabilities must be a non-empty list of known names; bad: {unknown}")
    name = call.params.req_str("keyName")
    if not _KEY_NAME.fullmatch(name):
        raise bad_request("keyName must be 1 to 100 letters, digits or '-'")
    seconds = call.params.opt_int("validDurationInSeconds")
    if seconds is not None and not 1 <= seconds <= MAX_KEY_SECONDS:
        raise bad_request("validDurationInSeconds must be between 1 and 1000 days")
    bucket_ids = _key_buckets(state, call)
    for bucket_id in bucket_ids or ():
        principal.require_bucket(bucket_id)
    if bucket_ids is None and principal.key.bucket_ids is not None:
        raise unauthorized("a restricted key can only create keys for its own buckets")
    prefix = call.params.opt_str("namePrefix")
    if prefix is not None and bucket_ids is None:
        raise bad_request("namePrefix requires a bucket restriction")
    key = AppKey(
        key_id=new_key_id(state.account_id),
        secret=new_key_secret(),
        name=name,
        capabilities=tuple(capabilities),
        bucket_ids=bucket_ids,
        name_prefix=prefix,
        expires_ms=None if seconds is None else state.now_ms() + seconds * 1000,
    )
    state.keys.add(key)
    return json_reply(key_json(key, state.account_id, call.version, secret=True))


async def list_keys(state: EmulatorState, call: Call) -> Response:
    """b2_list_keys: created keys sorted by id, paged by ``startApplicationKeyId``."""
    principal = authenticate(state, call.request)
    principal.require("listKeys")
    principal.require_account(call.params.opt_str("accountId"))
    limit = call.params.opt_int("maxKeyCount") or 100
    if not 1 <= limit <= 10_000:
        raise bad_request("maxKeyCount must be between 1 and 10000")
    keys = state.keys.page(call.params.opt_str("startApplicationKeyId"), limit + 1)
    following = keys[limit].key_id if len(keys) > limit else None
    return json_reply(
        {
            "keys": [key_json(k, state.account_id, call.version) for k in keys[:limit]],
            "nextApplicationKeyId": following,
        }
    )


async def delete_key(state: EmulatorState, call: Call) -> Response:
    """b2_delete_key: remove a created key (its tokens stop working at once)."""
    principal = authenticate(state, call.request)
    principal.require("deleteKeys")
    key_id = call.params.req_str("applicationKeyId")
    key = state.keys.get(key_id)
    if key is None or key.is_master:
        raise bad_request(f"application key {key_id} does not exist or cannot be deleted")
    state.keys.delete(key_id)
    return json_reply(key_json(key, state.account_id, call.version))


async def get_download_authorization(state: EmulatorState, call: Call) -> Response:
    """b2_get_download_authorization: a token for downloads by name under a prefix."""
    principal = authenticate(state, call.request)
    bucket_id = call.params.req_str("bucketId")
    prefix = call.params.req_str("fileNamePrefix")
    principal.require_file("shareFiles", bucket_id, prefix)
    if state.buckets.by_id(bucket_id) is None:
        raise bad_request(f"bucket {bucket_id} does not exist", "bad_bucket_id")
    seconds = call.params.opt_int("validDurationInSeconds")
    if seconds is None or not 1 <= seconds <= MAX_DOWNLOAD_SECONDS:
        raise bad_request("validDurationInSeconds must be between 1 and 604800")
    grant = DownloadGrant(bucket_id, prefix, state.now_ms() + seconds * 1000)
    token = state.tokens.issue_download(grant)
    return json_reply(
        {"bucketId": bucket_id, "fileNamePrefix": prefix, "authorizationToken": token}
    )
