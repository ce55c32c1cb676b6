"""Parse the TIME of ``--at`` and ``--since``: a strict, small grammar, no guessing.

Imports ``syncd.errors`` only; ``now`` is passed in, aware. A wall-clock time without
an offset is local time by the system zone's rules for *that* date (``astimezone()``),
not by today's offset: in December, ``2026-07-01T18:00`` in Berlin is 16:00Z. Accepted
forms:

* ISO 8601: ``2026-11-30``, ``2026-11-30T18:00``, ``2026-11-30 18:00:05Z``,
  ``2026-11-30T18:00+01:00`` (a time without an offset is local time);
* relative: ``90m``, ``3d``, ``2 hours ago``, ``1 week ago`` (units s, m, h, d, w and
  their English spellings);
* ``now``, ``today``, ``yesterday``, optionally with ``HH:MM[:SS]`` (``yesterday 18:00``);
* for ``--at`` only: a B2 file id, which names one version of one file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from syncd.errors import UsageError

_UNITS = {
    "s": 1,
    "sec": 1,
    "secs": 1,
    "second": 1,
    "seconds": 1,
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}
_RELATIVE = re.compile(r"(\d{1,7})\s*([a-z]+)(\s+ago)?")
_DAY_WORD = re.compile(r"(today|yesterday)(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_FILE_ID = re.compile(r"4_[A-Za-z0-9_]{16,200}")


class TimeSyntaxError(UsageError):
    """A TIME argument that none of the accepted forms matches (exit 2)."""


@dataclass(frozen=True, slots=True)
class AtTime:
    """A point in time, in ms since the epoch (UTC)."""

    ms: int


@dataclass(frozen=True, slots=True)
class AtFileId:
    """One version of one file, by its B2 file id."""

    file_id: str


def parse_duration_s(text: str) -> int:
    """Seconds in ``3d``, ``90m`` or ``6 hours`` (``--since``); ``ago`` is allowed."""
    match = _RELATIVE.fullmatch(text.strip().lower())
    if match is None or match.group(2) not in _UNITS:
        raise TimeSyntaxError(f"{text!r} is not a duration like 90m, 6h, 3d or '2 hours'")
    return int(match.group(1)) * _UNITS[match.group(2)]


def parse_time(text: str, *, now: datetime) -> int:
    """ms since the epoch for one of the accepted forms; ``now`` must be aware."""
    if now.tzinfo is None:
        raise ValueError("now must carry a time zone")
    word = text.strip().lower()
    if word == "now":
        return _ms(now)
    if _RELATIVE.fullmatch(word):
        return _ms(now) - parse_duration_s(word) * 1000
    day = _DAY_WORD.fullmatch(word)
    if day is not None:
        return _ms(_day_time(day, now))
    try:
        parsed = datetime.fromisoformat(text.strip())
    except ValueError:
        raise TimeSyntaxError(
            f"{text!r} is not a time: use ISO 8601 (2026-11-30T18:00), a relative time "
            "(90m, 3d, '2 hours ago') or 'yesterday 18:00'"
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.astimezone()  # the local zone's offset on that date
    return _ms(parsed)


def parse_at(text: str, *, now: datetime) -> AtTime | AtFileId:
    """``--at``: a time, or a B2 file id (ids start with ``4_`` and are long)."""
    if _FILE_ID.fullmatch(text.strip()):
        return AtFileId(text.strip())
    return AtTime(parse_time(text, now=now))


def _day_time(match: re.Match[str], now: datetime) -> datetime:
    base = now if match.group(1) == "today" else now - timedelta(days=1)
    hour = int(match.group(2) or 0)
    minute = int(match.group(3) or 0)
    second = int(match.group(4) or 0)
    if hour > 23 or minute > 59 or second > 59:
        raise TimeSyntaxError(f"{match.group(0)!r}: hours 0-23, minutes and seconds 0-59")
    wall = datetime.combine(base.date(), time(hour, minute, second))
    return wall.astimezone()  # the local zone's offset on that day, not now's


def _ms(moment: datetime) -> int:
    return (moment - _EPOCH) // timedelta(milliseconds=1)
