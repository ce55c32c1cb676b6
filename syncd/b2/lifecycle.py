"""Bucket lifecycle rules: the typed rule and its JSON both ways.

Imports ``syncd.b2.parse`` and ``syncd.errors``. ``B2Client.set_lifecycle_rule`` sets
one rule for one prefix without touching the bucket's other rules.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from syncd.b2.parse import Json, get_int, get_list, get_opt_int, get_opt_str
from syncd.errors import RemoteProtocolError

MAX_RULES = 100  # B2's limit per bucket


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleRule:
    """One rule of a bucket (None: that part of the rule is off)."""

    file_name_prefix: str
    days_from_uploading_to_hiding: int | None = None
    days_from_hiding_to_deleting: int | None = None
    days_from_starting_to_canceling_unfinished_large_files: int | None = None

    def to_json(self) -> dict[str, Any]:
        """The rule as B2 takes it."""
        out: dict[str, Any] = {
            "fileNamePrefix": self.file_name_prefix,
            "daysFromUploadingToHiding": self.days_from_uploading_to_hiding,
            "daysFromHidingToDeleting": self.days_from_hiding_to_deleting,
        }
        cancel = self.days_from_starting_to_canceling_unfinished_large_files
        if cancel is not None:
            out["daysFromStartingToCancelingUnfinishedLargeFiles"] = cancel
        return out


def parse_rules(bucket: Json) -> tuple[tuple[LifecycleRule, ...], int]:
    """The lifecycle rules and the revision of one bucket object."""
    rules = []
    for obj in get_list(bucket, "lifecycleRules", max_len=MAX_RULES):
        if not isinstance(obj, dict):
            raise RemoteProtocolError("B2 sent a lifecycle rule that is not an object")
        rules.append(
            LifecycleRule(
                file_name_prefix=get_opt_str(obj, "fileNamePrefix") or "",
                days_from_uploading_to_hiding=get_opt_int(obj, "daysFromUploadingToHiding"),
                days_from_hiding_to_deleting=get_opt_int(obj, "daysFromHidingToDeleting"),
                days_from_starting_to_canceling_unfinished_large_files=get_opt_int(
                    obj, "daysFromStartingToCancelingUnfinishedLargeFiles"
                ),
            )
        )
    return tuple(rules), get_int(bucket, "revision")


def with_rule(rules: Sequence[LifecycleRule], rule: LifecycleRule) -> tuple[LifecycleRule, ...]:
    """``rules`` with ``rule`` in place of any rule for the same prefix."""
    kept = [r for r in rules if r.file_name_prefix != rule.file_name_prefix]
    return (*kept, rule)
