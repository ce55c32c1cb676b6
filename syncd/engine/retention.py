"""The retention planner: which versions of a name to keep, which to delete, and why.

Imports ``syncd.remote`` (``FileVersion``) and ``syncd.config`` (``RetentionPolicy``);
pure: no I/O, the time is ``now_ms``. The rules are documented in
``syncd.config.retention``. On top of them, three protections that no rule can
override:

* the version B2 shows now (the newest entry, when it is an upload) is kept, so a
  prune never changes what a name holds today;
* the newest upload of a file that exists locally is kept, even under a hide marker
  (someone else hid it: it is what a repair copies back);
* a version under Object Lock (``locked_until_ms`` in the future) is kept;
* a version the journal's index names (``indexed``: what syncd last uploaded for a
  path, the source of its server-side copies) is kept.

A hide marker is kept while a version under it (older than it) is kept, and deleted
with the last of them, so it never uncovers an older version. A marker found with no
version under it is left alone (only versions this plan deletes take markers along), so
unlimited rules delete nothing at all. Unfinished large
files (``start``) are not the planner's business: the caller leaves them out.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import groupby

from syncd.config import UNLIMITED, RetentionPolicy
from syncd.config.retention import GFS_KEYS
from syncd.remote import FileVersion

DAY_MS = 86_400_000
CONTENT_ACTIONS = frozenset({"upload", "copy"})


class Reason(enum.Enum):
    """Why a version is kept (every reason that holds is listed) or deleted."""

    NO_POLICY = "no_policy"  # no rule configured: nothing is pruned
    VISIBLE = "visible"  # the version B2 shows for the name now
    LOCAL = "newest_of_local_file"  # the newest upload of a file that exists locally
    LOCKED = "locked"  # Object Lock retention or legal hold
    INDEXED = "in_journal_index"  # what syncd last uploaded for the path
    KEEP_DAYS = "keep_days"
    KEEP_VERSIONS = "keep_versions"
    KEEP_HOURLY = "keep_hourly"
    KEEP_DAILY = "keep_daily"
    KEEP_WEEKLY = "keep_weekly"
    KEEP_MONTHLY = "keep_monthly"
    COVERS_KEPT = "hides_kept_versions"  # a hide marker with a kept version under it
    COVERS_NOTHING = "found_alone"  # a hide marker listed with no version under it
    OUTSIDE_RULES = "outside_every_rule"  # delete: no rule keeps it
    NOTHING_UNDER = "nothing_left_under_it"  # delete: a hide marker over deleted versions


DELETE_REASONS = frozenset({Reason.OUTSIDE_RULES, Reason.NOTHING_UNDER})


@dataclass(frozen=True, slots=True, kw_only=True)
class NameVersions:
    """The planner's input for one name: its versions newest first (uploads, copies,
    hide markers), whether the file exists locally, Object Lock dates by fileId, and
    the fileIds syncd's journal index names."""

    name: str
    versions: tuple[FileVersion, ...]
    exists_locally: bool
    locked_until_ms: Mapping[str, int] = field(default_factory=dict)
    indexed: frozenset[str] = frozenset()  # fileIds the journal's index names


@dataclass(frozen=True, slots=True, kw_only=True)
class Decision:
    """Keep or delete one version, with the reasons (several rules may keep it)."""

    version: FileVersion
    keep: bool
    reasons: tuple[Reason, ...]

    def explain(self) -> str:
        """The reasons as one readable word list."""
        return ", ".join(r.value for r in self.reasons)


def plan_name(history: NameVersions, policy: RetentionPolicy, now_ms: int) -> list[Decision]:
    """One decision per version of ``history``, in its order (newest first)."""
    versions = history.versions
    if not policy.is_configured:
        return [Decision(version=v, keep=True, reasons=(Reason.NO_POLICY,)) for v in versions]
    reasons: list[list[Reason]] = [[] for _ in versions]
    content = [i for i, v in enumerate(versions) if v.action in CONTENT_ACTIONS]
    if versions and versions[0].action in CONTENT_ACTIONS:
        reasons[0].append(Reason.VISIBLE)
    if history.exists_locally and content:
        reasons[content[0]].append(Reason.LOCAL)
    for i, v in enumerate(versions):
        if history.locked_until_ms.get(v.file_id, 0) > now_ms:
            reasons[i].append(Reason.LOCKED)
        if v.file_id in history.indexed:
            reasons[i].append(Reason.INDEXED)
    for i in _kept_by_days(versions, content, policy.keep_days, now_ms):
        reasons[i].append(Reason.KEEP_DAYS)
    for i in _newest(content, policy.keep_versions):
        reasons[i].append(Reason.KEEP_VERSIONS)
    for key in GFS_KEYS:
        for i in _kept_by_period(versions, content, key, policy.rule(key)):
            reasons[i].append(Reason(key))
    return _decide(versions, reasons)


def _decide(versions: Sequence[FileVersion], reasons: list[list[Reason]]) -> list[Decision]:
    """Hide markers last: walking oldest to newest, a marker is kept while a kept
    version lies under it."""
    keep_below = has_below = False
    decisions: list[Decision] = []
    for i in range(len(versions) - 1, -1, -1):
        v, why = versions[i], reasons[i]
        is_content = v.action in CONTENT_ACTIONS
        if not is_content:
            if keep_below:
                why.append(Reason.COVERS_KEPT)
            elif not has_below:
                why.append(Reason.COVERS_NOTHING)
            elif not why:
                why.append(Reason.NOTHING_UNDER)
        elif not why:
            why.append(Reason.OUTSIDE_RULES)
        keep = not (len(why) == 1 and why[0] in DELETE_REASONS)
        keep_below = keep_below or (keep and is_content)
        has_below = has_below or is_content
        decisions.append(Decision(version=v, keep=keep, reasons=tuple(why)))
    decisions.reverse()
    return decisions


def _newest(content: Sequence[int], count: int | None) -> Sequence[int]:
    if count is None:
        return ()
    return content if count == UNLIMITED else content[:count]


def _kept_by_days(
    versions: Sequence[FileVersion], content: Sequence[int], days: int | None, now_ms: int
) -> Iterable[int]:
    """Versions current at some moment of the last ``days`` days: still current, or
    replaced (by the next newer upload or hide marker) less than ``days`` ago."""
    if days is None:
        return
    for i in content:
        if days == UNLIMITED or i == 0:
            yield i
            continue
        replaced_ms = versions[i - 1].upload_timestamp_ms
        if now_ms - replaced_ms < days * DAY_MS:
            yield i


def period_of(key: str, ms: int) -> tuple[int, ...]:
    """The UTC period of ``ms`` for a GFS rule: (year, month, day, hour), (year, month,
    day), (ISO year, ISO week) or (year, month)."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    if key == "keep_hourly":
        return (moment.year, moment.month, moment.day, moment.hour)
    if key == "keep_daily":
        return (moment.year, moment.month, moment.day)
    if key == "keep_weekly":
        iso = moment.isocalendar()
        return (iso.year, iso.week)
    return (moment.year, moment.month)


def _kept_by_period(
    versions: Sequence[FileVersion], content: Sequence[int], key: str, count: int | None
) -> Iterable[int]:
    """restic's rule: newest first, keep a version when its period differs from the
    last kept one, until ``count`` periods are used."""
    if count is None:
        return
    used = 0
    last: tuple[int, ...] | None = None
    for i in content:
        if count != UNLIMITED and used >= count:
            return
        period = period_of(key, versions[i].upload_timestamp_ms)
        if period != last:
            last = period
            used += 1
            yield i


@dataclass(frozen=True, slots=True, kw_only=True)
class PrunePlan:
    """The decisions for every version under a folder's prefix."""

    decisions: tuple[Decision, ...]

    @property
    def deletes(self) -> list[FileVersion]:
        """What to delete, in a safe order: each name's versions oldest first, so a
        hide marker goes only after the versions under it (an interrupted prune never
        uncovers a hidden file)."""
        out: list[FileVersion] = []
        for _name, group in groupby(self.decisions, key=lambda d: d.version.file_name):
            out.extend(reversed([d.version for d in group if not d.keep]))
        return out

    @property
    def delete_share(self) -> float:
        """Deletes as a share of all versions (0 when there are none)."""
        total = len(self.decisions)
        return sum(not d.keep for d in self.decisions) / total if total else 0.0


def plan_folder(names: Iterable[NameVersions], policy: RetentionPolicy, now_ms: int) -> PrunePlan:
    """Decisions for every name, grouped by name, each name newest first."""
    return PrunePlan(decisions=tuple(d for name in names for d in plan_name(name, policy, now_ms)))
