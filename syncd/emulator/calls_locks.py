"""Object Lock calls: b2_update_file_retention and b2_update_file_legal_hold.

Both need a version in a bucket with file lock enabled (``400 bad_request`` otherwise)
and their ``write*`` capability (``401 unauthorized``). What may change is locks.py's
rule set; a forbidden change is ``403 access_denied``. Imports nothing from syncd
outside the emulator.
"""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response

from syncd.emulator import locks
from syncd.emulator.auth import Principal, authenticate
from syncd.emulator.call import Call
from syncd.emulator.models import UPLOAD, Version
from syncd.emulator.problem import bad_request
from syncd.emulator.replies import json_reply
from syncd.emulator.state import EmulatorState


def _locked_file(
    state: EmulatorState, principal: Principal, call: Call, capability: str
) -> Version:
    file_id = call.params.req_str("fileId")
    name = call.params.req_str("fileName")
    version = state.versions.get(file_id)
    if version is None or version.name != name or version.action != UPLOAD:
        raise bad_request(f"File not present: {name} {file_id}", "file_not_present")
    principal.require_file(capability, version.bucket_id, version.name)
    bucket = state.buckets.by_id(version.bucket_id)
    if bucket is None or not bucket.file_lock_enabled:
        raise bad_request(f"the bucket of {name} does not have file lock enabled")
    return version


async def update_file_retention(state: EmulatorState, call: Call) -> Response:
    """b2_update_file_retention: set, extend, shorten (bypass) or clear a retention."""
    principal = authenticate(state, call.request)
    version = _locked_file(state, principal, call, "writeFileRetentions")
    wanted = locks.retention_from_json(call.params.opt_dict("fileRetention"))
    if wanted is None:
        raise bad_request("required field fileRetention is missing")
    now = state.now_ms()
    if wanted[1] is not None and wanted[1] <= now:
        raise bad_request("retainUntilTimestamp must be in the future")
    bypass = bool(call.params.opt_bool("bypassGovernance"))
    locks.check_update(version.lock, wanted, principal, bypass, now)
    lock = replace(version.lock, mode=wanted[0], retain_until_ms=wanted[1])
    state.versions.set_lock(version.file_id, lock)
    return json_reply(
        {
            "fileId": version.file_id,
            "fileName": version.name,
            "fileRetention": {"mode": lock.mode, "retainUntilTimestamp": lock.retain_until_ms},
        }
    )


async def update_file_legal_hold(state: EmulatorState, call: Call) -> Response:
    """b2_update_file_legal_hold: turn a version's legal hold on or off."""
    principal = authenticate(state, call.request)
    version = _locked_file(state, principal, call, "writeFileLegalHolds")
    hold = locks.legal_hold_from(call.params.opt_str("legalHold"))
    if hold is None:
        raise bad_request("required field legalHold is missing")
    state.versions.set_lock(version.file_id, replace(version.lock, legal_hold=hold))
    return json_reply({"fileId": version.file_id, "fileName": version.name, "legalHold": hold})
