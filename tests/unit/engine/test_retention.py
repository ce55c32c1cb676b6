"""The retention planner: a readable table of cases, then properties over random
histories (hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from syncd.config import UNLIMITED, RetentionPolicy
from syncd.engine.retention import (
    CONTENT_ACTIONS,
    DAY_MS,
    Decision,
    NameVersions,
    Reason,
    period_of,
    plan_folder,
    plan_name,
)
from syncd.remote import FileVersion

NOW_MS = int(datetime(2026, 6, 15, 12, 0, tzinfo=UTC).timestamp() * 1000)
HOUR_MS = 3_600_000


def version(n: int, ago_ms: int, action: str = "upload", name: str = "f") -> FileVersion:
    """Version ``n`` of ``name``, made ``ago_ms`` before NOW_MS."""
    return FileVersion(
        file_id=f"{name}-{n}",
        file_name=name,
        action=action,
        size=0 if action == "hide" else 10,
        content_sha1=None,
        is_sha1_verified=True,
        content_type=None,
        upload_timestamp_ms=NOW_MS - ago_ms,
        src_last_modified_ms=None,
        file_info={},
    )


def history(*specs: tuple[str, float], local: bool = False) -> NameVersions:
    """A name from (action, days ago) pairs, newest first."""
    versions = tuple(
        version(len(specs) - i, int(days * DAY_MS), action)
        for i, (action, days) in enumerate(specs)
    )
    return NameVersions(name="f", versions=versions, exists_locally=local)


def kept(decisions: list[Decision]) -> str:
    """The decisions as a string: K kept, d deleted, newest first."""
    return "".join("K" if d.keep else "d" for d in decisions)


U, H = "upload", "hide"
P = RetentionPolicy
TABLE = [
    # (case, history newest first as (action, days ago), exists locally, policy, expected)
    ("no rule: keep all", [(U, 1), (U, 50), (U, 90)], False, P(), "KKK"),
    ("keep_versions 2", [(U, 1), (U, 2), (U, 3), (U, 4)], False, P(keep_versions=2), "KKdd"),
    ("versions 0 keeps the visible", [(U, 1), (U, 2)], False, P(keep_versions=0), "Kd"),
    ("days count from replacement", [(U, 1), (U, 40), (U, 100)], False, P(keep_days=30), "KKd"),
    ("days count from the hide", [(H, 10), (U, 200)], False, P(keep_days=30), "KK"),
    ("old hide: all goes", [(H, 40), (U, 200)], False, P(keep_days=30), "dd"),
    ("local: newest under a hide", [(H, 40), (U, 200), (U, 300)], True, P(keep_days=30), "KKd"),
    ("middle hide goes with its own", [(U, 1), (H, 50), (U, 60)], False, P(keep_days=30), "Kdd"),
    ("middle hide over a kept one", [(U, 1), (H, 50), (U, 60)], False, P(keep_versions=2), "KKK"),
    ("unlimited keeps all", [(H, 400), (U, 500)], False, P(keep_days=UNLIMITED), "KK"),
    ("daily 2: newest of 2 days", [(U, .1), (U, .2), (U, 1.1), (U, 2.1)], False, P(keep_daily=2),
     "KdKd"),
    ("monthly 1 + versions 1", [(U, 1), (U, 2), (U, 40)], False,
     P(keep_monthly=1, keep_versions=1), "Kdd"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "specs", "local", "policy", "expected"), TABLE)
def test_table(
    case: str, specs: list[tuple[str, float]], local: bool, policy: RetentionPolicy, expected: str
) -> None:
    """Each row of the table gets exactly the expected keep/delete pattern."""
    decisions = plan_name(history(*specs, local=local), policy, NOW_MS)
    assert kept(decisions) == expected, case


def test_reasons_name_every_rule_that_keeps() -> None:
    """A version kept by two rules lists both; a deleted one says no rule kept it."""
    policy = RetentionPolicy(keep_versions=1, keep_days=5)
    decisions = plan_name(history((U, 10), (U, 20)), policy, NOW_MS)
    assert decisions[0].reasons == (Reason.VISIBLE, Reason.KEEP_DAYS, Reason.KEEP_VERSIONS)
    assert decisions[1].reasons == (Reason.OUTSIDE_RULES,)
    assert decisions[1].explain() == "outside_every_rule"


def test_locked_version_is_kept() -> None:
    """A version under Object Lock until after now is kept whatever the rules say."""
    base = history((U, 1), (U, 100))
    locked = NameVersions(
        name="f", versions=base.versions, exists_locally=False, locked_until_ms={"f-1": NOW_MS + 1}
    )
    decisions = plan_name(locked, RetentionPolicy(keep_versions=1), NOW_MS)
    assert decisions[1].keep
    assert decisions[1].reasons == (Reason.LOCKED,)


def test_version_in_the_journal_index_is_kept() -> None:
    """A version the journal's index names is kept (the worker may copy from it)."""
    base = history((U, 1), (U, 100))
    pinned = NameVersions(
        name="f", versions=base.versions, exists_locally=True, indexed=frozenset({"f-1"})
    )
    decisions = plan_name(pinned, RetentionPolicy(keep_versions=1), NOW_MS)
    assert decisions[1].reasons == (Reason.INDEXED,)


def test_deletes_go_oldest_first_with_hide_markers_last() -> None:
    """The delete order removes versions under a hide marker before the marker."""
    plan = plan_folder([history((H, 40), (U, 50), (U, 60))], RetentionPolicy(keep_days=1), NOW_MS)
    assert [v.file_id for v in plan.deletes] == ["f-1", "f-2", "f-3"]
    assert plan.delete_share == 1.0


def test_periods_are_utc_and_iso_weeks() -> None:
    """Periods bucket by UTC hour, day, ISO week and month."""
    ms = int(datetime(2027, 1, 1, 23, 30, tzinfo=UTC).timestamp() * 1000)
    assert period_of("keep_hourly", ms) == (2027, 1, 1, 23)
    assert period_of("keep_daily", ms) == (2027, 1, 1)
    assert period_of("keep_weekly", ms) == (2026, 53)
    assert period_of("keep_monthly", ms) == (2027, 1)


# --- properties over random histories ---------------------------------------------------

counts = st.one_of(st.none(), st.just(UNLIMITED), st.integers(0, 4))
policies = st.builds(
    RetentionPolicy,
    keep_days=counts,
    keep_versions=counts,
    keep_hourly=counts,
    keep_daily=counts,
    keep_weekly=counts,
    keep_monthly=counts,
)


@st.composite
def histories(draw: st.DrawFn) -> NameVersions:
    """A random name: uploads and hide markers at strictly decreasing times."""
    n = draw(st.integers(1, 12))
    gaps = draw(st.lists(st.integers(1, 40 * DAY_MS), min_size=n, max_size=n))
    actions = draw(st.lists(st.sampled_from([U, U, U, H]), min_size=n, max_size=n))
    ago, versions = 0, []
    for i, (gap, action) in enumerate(zip(gaps, actions, strict=True)):
        ago += gap
        versions.append(version(n - i, ago, action))
    return NameVersions(name="f", versions=tuple(versions), exists_locally=draw(st.booleans()))


@settings(max_examples=100, deadline=None)
@given(histories(), policies)
def test_newest_of_a_present_file_is_never_deleted(
    h: NameVersions, policy: RetentionPolicy
) -> None:
    """The newest upload of a file that exists locally is always kept."""
    decisions = plan_name(h, policy, NOW_MS)
    content = [d for d in decisions if d.version.action in CONTENT_ACTIONS]
    if h.exists_locally and content:
        assert content[0].keep


@settings(max_examples=100, deadline=None)
@given(histories(), policies)
def test_every_rule_keeps_what_it_promises(h: NameVersions, policy: RetentionPolicy) -> None:
    """keep_versions, keep_days and each GFS rule keep every version they promise."""
    decisions = plan_name(h, policy, NOW_MS)
    index = {d.version.file_id: i for i, d in enumerate(decisions)}
    content = [d for d in decisions if d.version.action in CONTENT_ACTIONS]
    if policy.keep_versions is not None:
        n = len(content) if policy.keep_versions == UNLIMITED else policy.keep_versions
        assert all(d.keep for d in content[:n])
    if policy.keep_days is not None:
        for d in content:
            i = index[d.version.file_id]
            replaced = decisions[i - 1].version.upload_timestamp_ms if i else NOW_MS
            if policy.keep_days == UNLIMITED or NOW_MS - replaced < policy.keep_days * DAY_MS:
                assert d.keep
    for key in ("keep_hourly", "keep_daily", "keep_weekly", "keep_monthly"):
        count = policy.rule(key)
        if count is None:
            continue
        newest_per_period: dict[tuple[int, ...], Decision] = {}
        for d in content:
            newest_per_period.setdefault(period_of(key, d.version.upload_timestamp_ms), d)
        periods = sorted(newest_per_period, reverse=True)
        promised = periods if count == UNLIMITED else periods[:count]
        assert all(newest_per_period[p].keep for p in promised)


@settings(max_examples=100, deadline=None)
@given(histories(), policies)
def test_hide_markers_and_the_visible_state_survive(
    h: NameVersions, policy: RetentionPolicy
) -> None:
    """No hide marker goes over a kept version; what the name shows now never changes."""
    decisions = plan_name(h, policy, NOW_MS)
    for i, d in enumerate(decisions):
        if d.version.action == H and not d.keep:
            assert not any(
                e.keep and e.version.action in CONTENT_ACTIONS for e in decisions[i + 1 :]
            )
    left = [d.version for d in decisions if d.keep]
    before = h.versions[0] if h.versions[0].action in CONTENT_ACTIONS else None
    after = left[0] if left and left[0].action in CONTENT_ACTIONS else None
    assert before == after


@settings(max_examples=100, deadline=None)
@given(histories())
def test_unlimited_rules_delete_nothing(h: NameVersions) -> None:
    """With every rule unlimited, or no rule at all, nothing is deleted."""
    unlimited = RetentionPolicy(
        keep_days=UNLIMITED,
        keep_versions=UNLIMITED,
        keep_hourly=UNLIMITED,
        keep_daily=UNLIMITED,
        keep_weekly=UNLIMITED,
        keep_monthly=UNLIMITED,
    )
    for policy in (unlimited, RetentionPolicy(keep_days=UNLIMITED), RetentionPolicy()):
        assert all(d.keep for d in plan_name(h, policy, NOW_MS))
