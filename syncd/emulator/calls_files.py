"""Per-file and listing calls: list names/versions, get info, hide, delete a version.

Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from syncd.emulator import locks
from syncd.emulator.auth import Principal, authenticate
from syncd.emulator.call import Call
from syncd.emulator.calls_buckets import owned_bucket
from syncd.emulator.listing import Entry, Query, page, walk
from syncd.emulator.models import HIDE, HIDE_MARKER_TYPE, START
from syncd.emulator.names import check_file_name
from syncd.emulator.problem import bad_request, not_found
from syncd.emulator.render import file_json, folder_json
from syncd.emulator.replies import json_reply
from syncd.emulator.schema import transaction
from syncd.emulator.state import EmulatorState

MAX_LIST = 10_000


def _list_prefix(principal: Principal, prefix: str, api_version: int) -> str | None:
    """The prefix to list under the key's ``namePrefix``; None means "nothing visible"."""
    allowed = principal.key.name_prefix
    if not allowed or prefix.startswith(allowed):
        return prefix
    if api_version >= 2:
        principal.require_name(prefix)
    return allowed if allowed.startswith(prefix) else None


def _entry_json(
    state: EmulatorState, entry: Entry, bucket_id: str, api_version: int, principal: Principal
) -> dict[str, Any]:
    if entry.version is not None:
        return file_json(
            entry.version, state.account_id, api_version, capabilities=principal.key.capabilities
        )
    assert entry.folder is not None
    return folder_json(entry.folder, state.account_id, bucket_id, api_version)


def _listing(state: EmulatorState, call: Call, *, latest_only: bool) -> Response:
    principal = authenticate(state, call.request)
    principal.require("listFiles")
    bucket = owned_bucket(state, principal, call.params.req_str("bucketId"))
    limit = call.params.opt_int("maxFileCount")
    limit = 100 if limit is None or limit == 0 else limit
    if not 1 <= limit <= MAX_LIST:
        raise bad_request(f"maxFileCount must be 1..{MAX_LIST}")
    start_name = call.params.opt_str("startFileName")
    start_id = None if latest_only else call.params.opt_str("startFileId")
    if start_id is not None and start_name is None:
        raise bad_request("startFileId requires startFileName")
    delimiter = call.params.opt_str("delimiter") or None
    prefix = _list_prefix(principal, call.params.opt_str("prefix") or "", call.version)
    body: dict[str, Any] = {"files": [], "nextFileName": None}
    if not latest_only:
        body["nextFileId"] = None
    if prefix is None:
        return json_reply(body)
    query = Query(
        bucket_id=bucket.bucket_id,
        prefix=prefix,
        delimiter=delimiter,
        start_name=start_name,
        start_id=start_id,
        latest_only=latest_only,
    )
    entries, following = page(walk(state.versions, query), limit)
    body["files"] = [
        _entry_json(state, e, bucket.bucket_id, call.version, principal) for e in entries
    ]
    if following is not None:
        body["nextFileName"] = following.name
        if not latest_only and following.version is not None:
            body["nextFileId"] = following.version.file_id
    return json_reply(body)


async def list_file_names(state: EmulatorState, call: Call) -> Response:
    """b2_list_file_names: the newest version of each visible name."""
    return _listing(state, call, latest_only=True)


async def list_file_versions(state: EmulatorState, call: Call) -> Response:
    """b2_list_file_versions: every upload, hide and start version."""
    return _listing(state, call, latest_only=False)


async def get_file_info(state: EmulatorState, call: Call) -> Response:
    """b2_get_file_info: one version by id (unfinished large files are not found)."""
    principal = authenticate(state, call.request)
    file_id = call.params.req_str("fileId")
    version = state.versions.get(file_id)
    if version is None or version.action == START:
        raise not_found(f"File not present: {file_id}")
    principal.require_file("readFiles", version.bucket_id, version.name)
    return json_reply(
        file_json(version, state.account_id, call.version, capabilities=principal.key.capabilities)
    )


async def hide_file(state: EmulatorState, call: Call) -> Response:
    """b2_hide_file: add a hide marker (``no_such_file`` / ``already_hidden`` otherwise)."""
    principal = authenticate(state, call.request)
    bucket_id = call.params.req_str("bucketId")
    name = check_file_name(call.params.req_str("fileName"))
    principal.require_file("writeFiles", bucket_id, name)
    owned_bucket(state, principal, bucket_id)
    newest = state.versions.newest(bucket_id, name)
    if newest is None:
        raise bad_request(f"File not present: {name}", "no_such_file")
    if newest.action == HIDE:
        raise bad_request(f"File already hidden: {name}", "already_hidden")
    marker = state.versions.add(
        bucket_id=bucket_id,
        name=name,
        action=HIDE,
        size=0,
        sha1=None,
        content_type=HIDE_MARKER_TYPE,
        info={},
        is_large=False,
        now_ms=state.now_ms(),
    )
    return json_reply(file_json(marker, state.account_id, call.version))


async def delete_file_version(state: EmulatorState, call: Call) -> Response:
    """b2_delete_file_version: remove one version (an unfinished large file is cancelled).

    A version under Object Lock is refused with ``403 access_denied`` (see locks.py).
    """
    principal = authenticate(state, call.request)
    file_id = call.params.req_str("fileId")
    name = call.params.req_str("fileName")
    version = state.versions.get(file_id)
    if version is None or version.name != name:
        raise bad_request(f"File not present: {name} {file_id}", "file_not_present")
    principal.require_file("deleteFiles", version.bucket_id, version.name)
    bypass = bool(call.params.opt_bool("bypassGovernance"))
    locks.check_delete(version.lock, principal, bypass, state.now_ms())
    with transaction(state.db):
        blobs = state.parts.remove_all(file_id) + state.versions.remove(file_id)
    state.collect(blobs)
    return json_reply({"fileId": file_id, "fileName": name})
