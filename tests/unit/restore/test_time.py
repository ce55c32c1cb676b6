"""The TIME grammar of --at and --since."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone

import pytest

from syncd.engine.restore_time import (
    AtFileId,
    AtTime,
    TimeSyntaxError,
    parse_at,
    parse_duration_s,
    parse_time,
)

CET = timezone(timedelta(hours=1))
NOW = datetime(2026, 12, 1, 12, 0, 0, tzinfo=CET)
NOW_MS = 1_796_122_800_000  # 2026-12-01T11:00:00Z


@pytest.fixture(autouse=True)
def berlin(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The system zone is Europe/Berlin (CET in December, CEST in July)."""
    monkeypatch.setenv("TZ", "Europe/Berlin")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_now_ms_is_right() -> None:
    """The fixture instant is what the other tests assume."""
    assert parse_time("now", now=NOW) == NOW_MS


@pytest.mark.parametrize(
    ("text", "back_s"),
    [
        ("90m", 5400),
        ("3d", 3 * 86400),
        ("2 hours ago", 7200),
        ("1 week ago", 604800),
        ("45 s", 45),
        ("6h", 21600),
        ("10 MINUTES AGO", 600),
    ],
)
def test_relative_forms(text: str, back_s: int) -> None:
    """Relative times count back from now."""
    assert parse_time(text, now=NOW) == NOW_MS - back_s * 1000


def test_iso_with_offset_and_z() -> None:
    """ISO 8601 with Z or an offset is taken as given."""
    assert parse_time("2026-12-01T11:00:00Z", now=NOW) == NOW_MS
    assert parse_time("2026-12-01T13:00:00+02:00", now=NOW) == NOW_MS
    assert parse_time("2026-12-01T11:00:00.250+00:00", now=NOW) == NOW_MS + 250


def test_iso_without_offset_is_local() -> None:
    """A time without an offset is in the local zone of ``now``."""
    assert parse_time("2026-12-01 12:00", now=NOW) == NOW_MS
    assert parse_time("2026-12-01", now=NOW) == NOW_MS - 12 * 3600 * 1000


def test_yesterday_and_today() -> None:
    """'yesterday 18:00' and 'today' are local wall-clock times."""
    assert parse_time("yesterday 18:00", now=NOW) == NOW_MS - 18 * 3600 * 1000
    assert parse_time("today", now=NOW) == NOW_MS - 12 * 3600 * 1000
    assert parse_time("today 09:30:15", now=NOW) == NOW_MS - (2 * 3600 + 29 * 60 + 45) * 1000


@pytest.mark.parametrize("text", ["the day before", "3 fortnights", "yesterday 25:00", "", "-3d"])
def test_rejects_the_rest(text: str) -> None:
    """Anything outside the grammar is a usage error (exit 2)."""
    with pytest.raises(TimeSyntaxError) as info:
        parse_time(text, now=NOW)
    assert info.value.exit_code == 2


def test_duration() -> None:
    """--since takes a duration, with or without 'ago'."""
    assert parse_duration_s("6h") == 21600
    assert parse_duration_s("2 days ago") == 172800
    with pytest.raises(TimeSyntaxError):
        parse_duration_s("yesterday")


def test_at_accepts_a_file_id() -> None:
    """A B2 file id is one version, not a time."""
    file_id = "4_z27c88f1d182b150646ff0b16_f1004ba650fe24e6b_d20250101_m120000_c000_v0001_t0001"
    assert parse_at(file_id, now=NOW) == AtFileId(file_id)
    assert parse_at("3d", now=NOW) == AtTime(NOW_MS - 3 * 86400 * 1000)


def test_naive_now_is_refused() -> None:
    """``now`` must carry a zone so local times are unambiguous."""
    with pytest.raises(ValueError, match="zone"):
        parse_time("3d", now=datetime(2026, 1, 1))  # noqa: DTZ001
    assert parse_time("now", now=datetime(2026, 1, 1, tzinfo=UTC)) > 0


def test_naive_time_uses_the_zone_rules_of_its_own_date() -> None:
    """In December, a July wall-clock time is CEST (+02:00), not today's +01:00."""
    assert parse_time("2026-07-01T18:00", now=NOW) == parse_time("2026-07-01T16:00Z", now=NOW)
    assert parse_time("2026-12-01T18:00", now=NOW) == parse_time("2026-12-01T17:00Z", now=NOW)


def test_yesterday_across_a_dst_change_uses_that_day_offset() -> None:
    """'yesterday 18:00' on the day summer time ended is 18:00 CEST (+02:00) = 16:00Z."""
    after_switch = datetime(2026, 10, 25, 12, 0, tzinfo=CET)  # CEST ended at 03:00 today
    want = parse_time("2026-10-24T16:00Z", now=after_switch)
    assert parse_time("yesterday 18:00", now=after_switch) == want
    assert parse_time("today 18:00", now=after_switch) == want + 25 * 3600 * 1000
