"""Bucket lifecycle rules, applied on the emulator's clock.

Imports nothing from syncd outside the emulator. Each rule names a ``fileNamePrefix``:

* ``daysFromUploadingToHiding`` N: a name whose newest version is an upload made N
  days ago gets a hide marker dated upload + N days;
* ``daysFromHidingToDeleting`` N: a version that stopped being the newest N days ago
  (B2 counts a version as hidden from the moment a newer upload or a hide marker
  covers it) is deleted; a hide marker goes once N days passed and nothing is left
  under it;
* ``daysFromStartingToCancelingUnfinishedLargeFiles`` N: an unfinished large file
  started N days ago is cancelled (its parts go with it).

B2 runs its rules about once a day; the emulator runs them at the first API call of
each emulated UTC day (``apply_when_due``), when its clock is moved (``advance_clock``)
and on ``POST /_emulator/apply-lifecycle``, so tests decide when.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import groupby, pairwise
from typing import Any

from syncd.emulator.models import HIDE, HIDE_MARKER_TYPE, START, Version
from syncd.emulator.schema import transaction
from syncd.emulator.state import EmulatorState

DAY_MS = 86_400_000


def _days(rule: dict[str, Any], key: str) -> int | None:
    value = rule.get(key)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def _names(state: EmulatorState, bucket_id: str, prefix: str) -> Iterator[list[Version]]:
    upper = None if not prefix else prefix[:-1] + chr(ord(prefix[-1]) + 1)
    listing = list(state.versions.ordered(bucket_id, prefix, upper, include_start=False))
    for _name, group in groupby(listing, key=lambda v: v.name):
        yield list(group)  # newest first


def apply_when_due(state: EmulatorState) -> None:
    """Apply the rules once per emulated UTC day (B2 runs them about daily)."""
    day = state.now_ms() // DAY_MS
    if day != state.lifecycle_day:
        state.lifecycle_day = day
        apply_lifecycle(state)


def apply_lifecycle(state: EmulatorState) -> int:
    """Apply every bucket's lifecycle rules now; return how many versions changed."""
    now = state.now_ms()
    changed = 0
    for bucket in state.buckets.all():
        for rule in bucket.lifecycle_rules:
            if not isinstance(rule, dict):
                continue
            prefix = str(rule.get("fileNamePrefix") or "")
            hide_days = _days(rule, "daysFromUploadingToHiding")
            delete_days = _days(rule, "daysFromHidingToDeleting")
            cancel_days = _days(rule, "daysFromStartingToCancelingUnfinishedLargeFiles")
            if cancel_days is not None:
                changed += _cancel(state, bucket.bucket_id, prefix, cancel_days, now)
            for versions in _names(state, bucket.bucket_id, prefix):
                if hide_days is not None:
                    changed += _hide(state, versions, hide_days, now)
                if delete_days is not None:
                    changed += _delete(state, versions, delete_days, now)
    return changed


def _hide(state: EmulatorState, versions: list[Version], days: int, now: int) -> int:
    newest = versions[0]
    hide_at = newest.upload_ms + days * DAY_MS
    if newest.action == HIDE or hide_at > now:
        return 0
    marker = state.versions.add(
        bucket_id=newest.bucket_id,
        name=newest.name,
        action=HIDE,
        size=0,
        sha1=None,
        content_type=HIDE_MARKER_TYPE,
        info={},
        is_large=False,
        now_ms=hide_at,
    )
    versions.insert(0, marker)
    return 1


def _delete(state: EmulatorState, versions: list[Version], days: int, now: int) -> int:
    cutoff = now - days * DAY_MS
    doomed = [
        old
        for newer, old in pairwise(versions)
        if old.action != START and newer.upload_ms <= cutoff
    ]
    left = [v for v in versions if v not in doomed]
    if left and left[-1].action == HIDE and left[-1].upload_ms <= cutoff and len(left) == 1:
        doomed.append(left[-1])  # a hide marker with nothing left under it
    blobs: list[str] = []
    with transaction(state.db):
        for version in doomed:
            blobs += state.versions.remove(version.file_id)
    state.collect(blobs)
    return len(doomed)


def _cancel(state: EmulatorState, bucket_id: str, prefix: str, days: int, now: int) -> int:
    cutoff = now - days * DAY_MS
    started = state.versions.unfinished(bucket_id, prefix, None, 1_000_000)
    doomed = [v for v in started if v.upload_ms <= cutoff]
    blobs: list[str] = []
    with transaction(state.db):
        for version in doomed:
            blobs += state.parts.remove_all(version.file_id) + state.versions.remove(
                version.file_id
            )
    state.collect(blobs)
    return len(doomed)
