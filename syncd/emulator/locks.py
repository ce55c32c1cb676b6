"""Object Lock as the emulator models it: retention and legal hold on writes and updates.

Rules (B2's): retention and legal hold need a bucket with file lock enabled; a write
without ``fileRetention`` gets the bucket's default retention (upload time + period).
A version is locked while its retention date is in the future or its legal hold is on.
A locked version cannot be deleted (``403 access_denied``), except governance retention
with ``bypassGovernance=true`` *and* the ``bypassGovernance`` capability. Compliance
retention can only be extended; governance retention can be extended freely, shortened,
removed or changed only with the bypass. Imports nothing from syncd outside the emulator.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from syncd.emulator.auth import Principal
from syncd.emulator.models import NO_LOCK, Bucket, FileLock
from syncd.emulator.problem import ApiError, bad_request

GOVERNANCE = "governance"
COMPLIANCE = "compliance"
MODES = (GOVERNANCE, COMPLIANCE)
LEGAL_HOLDS = ("on", "off")
DAY_MS = 86_400_000
UNIT_DAYS = {"days": 1, "years": 365}
H_MODE = "x-bz-file-retention-mode"
H_UNTIL = "x-bz-file-retention-retain-until-timestamp"
H_HOLD = "x-bz-file-legal-hold"


def access_denied(message: str) -> ApiError:
    """B2's reply to a write that Object Lock forbids."""
    return ApiError(403, "access_denied", message)


def retention_from_json(value: dict[str, Any] | None) -> tuple[str | None, int | None] | None:
    """(mode, until ms) from a ``fileRetention`` object; (None, None) clears; None = absent.

    Raises:
        ApiError: 400 for an unknown mode or a mode without a date.
    """
    if value is None:
        return None
    mode = value.get("mode")
    until = value.get("retainUntilTimestamp")
    if mode is None:
        return None, None
    if mode not in MODES:
        raise bad_request(f"fileRetention mode must be {GOVERNANCE} or {COMPLIANCE}")
    if isinstance(until, bool) or not isinstance(until, int):
        raise bad_request("fileRetention needs retainUntilTimestamp (ms) with a mode")
    return mode, until


def retention_from_headers(headers: Mapping[str, str]) -> tuple[str | None, int | None] | None:
    """(mode, until ms) from ``X-Bz-File-Retention-*`` upload headers, or None."""
    mode = headers.get(H_MODE)
    if mode is None:
        return None
    until = headers.get(H_UNTIL, "")
    if not until.isdigit():
        raise bad_request(f"{H_UNTIL} must be a timestamp in ms")
    return retention_from_json({"mode": mode, "retainUntilTimestamp": int(until)})


def legal_hold_from(value: str | None) -> str | None:
    """``on`` / ``off`` from a request, or None when absent."""
    if value is None:
        return None
    if value not in LEGAL_HOLDS:
        raise bad_request("legalHold must be on or off")
    return value


def default_retention(value: dict[str, Any] | None) -> dict[str, Any] | None:
    """A checked bucket ``defaultRetention`` ({mode, period{duration, unit}}), or None."""
    if value is None:
        return None
    mode = value.get("mode")
    if mode is None:
        return {"mode": None, "period": None}
    period = value.get("period")
    if mode not in MODES or not isinstance(period, dict):
        raise bad_request("defaultRetention needs a mode (governance/compliance) and a period")
    duration, unit = period.get("duration"), period.get("unit")
    if isinstance(duration, bool) or not isinstance(duration, int) or duration < 1:
        raise bad_request("defaultRetention period duration must be a positive integer")
    if unit not in UNIT_DAYS:
        raise bad_request("defaultRetention period unit must be days or years")
    return {"mode": mode, "period": {"duration": duration, "unit": unit}}


def for_write(
    principal: Principal,
    bucket: Bucket,
    retention: tuple[str | None, int | None] | None,
    legal_hold: str | None,
    now_ms: int,
) -> FileLock:
    """The lock of a new version: requested retention/hold, else the bucket default.

    Raises:
        ApiError: 400 on a bucket without file lock or for a past date; 401 without the
            write capability.
    """
    asks = (retention is not None and retention != (None, None)) or legal_hold is not None
    if asks and not bucket.file_lock_enabled:
        raise bad_request(f"bucket {bucket.name} does not have file lock enabled")
    if retention is not None:
        principal.require("writeFileRetentions")
    if legal_hold is not None:
        principal.require("writeFileLegalHolds")
    if not bucket.file_lock_enabled:
        return NO_LOCK
    mode, until = retention if retention is not None else _default(bucket, now_ms)
    if until is not None and until <= now_ms:
        raise bad_request("retainUntilTimestamp must be in the future")
    return FileLock(mode=mode, retain_until_ms=until, legal_hold=legal_hold)


def _default(bucket: Bucket, now_ms: int) -> tuple[str | None, int | None]:
    rule = bucket.default_retention
    if rule.get("mode") is None or not rule.get("period"):
        return None, None
    days = rule["period"]["duration"] * UNIT_DAYS[rule["period"]["unit"]]
    return rule["mode"], now_ms + days * DAY_MS


def _retained(lock: FileLock, now_ms: int) -> bool:
    return lock.mode is not None and (lock.retain_until_ms or 0) > now_ms


def check_delete(lock: FileLock, principal: Principal, bypass: bool, now_ms: int) -> None:
    """Refuse to delete a locked version.

    Raises:
        ApiError: 403 access_denied under legal hold, compliance retention, or governance
            retention without a permitted bypass.
    """
    if lock.legal_hold == "on":
        raise access_denied("the file version is under legal hold")
    if not _retained(lock, now_ms):
        return
    if lock.mode == COMPLIANCE:
        raise access_denied(f"the file version is in compliance mode until {lock.retain_until_ms}")
    if not (bypass and "bypassGovernance" in principal.key.capabilities):
        raise access_denied(
            f"the file version is in governance mode until {lock.retain_until_ms}; deleting "
            "needs bypassGovernance=true and the bypassGovernance capability"
        )


def check_update(
    old: FileLock,
    new: tuple[str | None, int | None],
    principal: Principal,
    bypass: bool,
    now_ms: int,
) -> None:
    """Allow a retention change only where B2 does.

    Raises:
        ApiError: 403 access_denied for a forbidden change.
    """
    if not _retained(old, now_ms):
        return
    mode, until = new
    old_until = old.retain_until_ms or 0
    stronger = mode is not None and until is not None and until >= old_until
    if old.mode == COMPLIANCE:
        if not (stronger and mode == COMPLIANCE):
            raise access_denied("compliance retention can only be extended")
        return
    if stronger:
        return
    if not (bypass and "bypassGovernance" in principal.key.capabilities):
        raise access_denied(
            "shortening or removing governance retention needs bypassGovernance=true and the "
            "bypassGovernance capability"
        )


def retention_json(lock: FileLock, readable: bool) -> dict[str, Any]:
    """``fileRetention`` of a file object."""
    if not readable:
        return {"isClientAuthorizedToRead": False, "value": None}
    value = {"mode": lock.mode, "retainUntilTimestamp": lock.retain_until_ms}
    return {"isClientAuthorizedToRead": True, "value": value}


def legal_hold_json(lock: FileLock, readable: bool) -> dict[str, Any]:
    """``legalHold`` of a file object."""
    if not readable:
        return {"isClientAuthorizedToRead": False, "value": None}
    return {"isClientAuthorizedToRead": True, "value": lock.legal_hold}


def lock_headers(lock: FileLock, capabilities: tuple[str, ...]) -> list[tuple[str, str]]:
    """Download reply headers for a version in a file-lock bucket."""
    headers: list[tuple[str, str]] = []
    hidden: list[str] = []
    if "readFileRetentions" in capabilities:
        if lock.mode is not None:
            headers.append(("X-Bz-File-Retention-Mode", lock.mode))
            headers.append(
                ("X-Bz-File-Retention-Retain-Until-Timestamp", str(lock.retain_until_ms))
            )
    else:
        hidden.append("X-Bz-File-Retention-Mode")
    if "readFileLegalHolds" in capabilities:
        if lock.legal_hold is not None:
            headers.append(("X-Bz-File-Legal-Hold", lock.legal_hold))
    else:
        hidden.append("X-Bz-File-Legal-Hold")
    if hidden:
        headers.append(("X-Bz-Client-Unauthorized-To-Read", ",".join(hidden)))
    return headers
