"""WriteSettings: the encryption, Object Lock and custom timestamp a write asks for.

Uploads carry them as headers (``X-Bz-Server-Side-Encryption*``, ``X-Bz-File-Retention-*``,
``X-Bz-File-Legal-Hold``, ``X-Bz-Custom-Upload-Timestamp``); start_large_file and copy
as JSON (``serverSideEncryption`` / ``destinationServerSideEncryption``,
``fileRetention``, ``legalHold``, ``customUploadTimestamp``). Missing settings fall back
to the bucket's defaults. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from syncd.emulator import locks, sse
from syncd.emulator.auth import Principal
from syncd.emulator.models import Bucket, Encryption, FileLock
from syncd.emulator.params import Params
from syncd.emulator.problem import bad_request
from syncd.emulator.state import EmulatorState

H_CUSTOM_TIMESTAMP = "x-bz-custom-upload-timestamp"


@dataclass(frozen=True, slots=True, kw_only=True)
class WriteSettings:
    """What a new version gets besides its bytes and metadata."""

    encryption: Encryption
    lock: FileLock
    custom_ms: int | None = None


def _custom(state: EmulatorState, value: int | str | None) -> int | None:
    if value is None:
        return None
    if not state.options.custom_upload_timestamps:
        raise bad_request("custom upload timestamps are not enabled for this account")
    if isinstance(value, str):
        if not value.isdigit():
            raise bad_request(f"{H_CUSTOM_TIMESTAMP} must be a timestamp in ms")
        value = int(value)
    if value < 0 or value > state.now_ms():
        raise bad_request("a custom upload timestamp must lie between 1970 and now")
    return value


def from_headers(
    state: EmulatorState, principal: Principal, bucket: Bucket, headers: Mapping[str, str]
) -> WriteSettings:
    """Settings of b2_upload_file."""
    encryption = sse.for_write(sse.from_headers(headers), bucket)
    lock = locks.for_write(
        principal,
        bucket,
        locks.retention_from_headers(headers),
        locks.legal_hold_from(headers.get(locks.H_HOLD)),
        state.now_ms(),
    )
    return WriteSettings(
        encryption=encryption,
        lock=lock,
        custom_ms=_custom(state, headers.get(H_CUSTOM_TIMESTAMP)),
    )


def from_params(
    state: EmulatorState,
    principal: Principal,
    bucket: Bucket,
    params: Params,
    sse_field: str = "serverSideEncryption",
) -> WriteSettings:
    """Settings of b2_start_large_file (and, with ``destinationServerSideEncryption``, copies)."""
    encryption = sse.for_write(sse.from_json(params.opt_dict(sse_field), sse_field), bucket)
    lock = locks.for_write(
        principal,
        bucket,
        locks.retention_from_json(params.opt_dict("fileRetention")),
        locks.legal_hold_from(params.opt_str("legalHold")),
        state.now_ms(),
    )
    return WriteSettings(
        encryption=encryption,
        lock=lock,
        # b2sdk sends the snake_case spelling; B2's documentation the camelCase one.
        custom_ms=_custom(
            state,
            params.opt_int("customUploadTimestamp") or params.opt_int("custom_upload_timestamp"),
        ),
    )
