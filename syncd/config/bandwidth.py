"""``[b2] bandwidth_limit``: a rate, or a timetable of rates by local time of day.

Imports nothing from syncd. Pure: ``parse_bandwidth`` turns the text into a
``BandwidthSchedule`` (or raises ``ValueError`` with a readable reason), and
``BandwidthSchedule.rate_at`` picks the rate for a minute of the day; the limiter in
``syncd.b2`` asks it with its clock.

The syntax is rclone's ``--bwlimit`` (without weekdays):

* ``"8M"``: one rate, all day. Sizes are bytes per second with a suffix ``B``, ``K``,
  ``M`` or ``G`` (powers of 1024, as rclone); a bare number is refused, since rclone
  reads it as KiB/s and a reader of the config would not. ``"off"`` means no limit.
* ``"10M:1M"``: uploads and downloads limited apart (``UP:DOWN``; either may be
  ``off``); a single rate limits each direction to that rate.
* ``"08:00,2M 19:00,off"``: a timetable of ``HH:MM,RATE`` entries, in local time. Each
  rate holds from its time until the next entry's; before the first entry of the day
  the last one's still holds (the timetable wraps around midnight).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MIN_RATE = 1024  # bytes per second: below this a transfer would hit its timeouts
_UNITS = {"B": 1, "K": 1024, "M": 1024**2, "G": 1024**3}
_SIZE = re.compile(r"^(\d+(?:\.\d+)?)([BKMG])$", re.IGNORECASE)
_TIME = re.compile(r"^(\d{1,2}):(\d{2})$")
MINUTES_PER_DAY = 24 * 60


@dataclass(frozen=True, slots=True, kw_only=True)
class Rate:
    """Bytes per second for uploads and for downloads; None: no limit."""

    up: int | None = None
    down: int | None = None

    @property
    def is_limited(self) -> bool:
        """True when either direction has a limit."""
        return self.up is not None or self.down is not None


@dataclass(frozen=True, slots=True, kw_only=True)
class BandwidthSchedule:
    """Rates by minute of the day: ``entries`` are (minute, rate), sorted, first at the
    earliest time; ``text`` is what the config said ("" when nothing was set)."""

    entries: tuple[tuple[int, Rate], ...] = ((0, Rate()),)
    text: str = ""

    def rate_at(self, minute_of_day: int) -> Rate:
        """The rate that holds at ``minute_of_day`` (0-1439, local time)."""
        current = self.entries[-1][1]  # wraps around midnight
        for minute, rate in self.entries:
            if minute > minute_of_day:
                break
            current = rate
        return current

    @property
    def is_limited(self) -> bool:
        """True when some time of day has a limit."""
        return any(rate.is_limited for _m, rate in self.entries)


def parse_size(text: str) -> int | None:
    """``"512K"`` -> 524288 bytes per second; ``"off"`` -> None (no limit)."""
    word = text.strip()
    if word.lower() == "off":
        return None
    match = _SIZE.match(word)
    if match is None:
        if re.fullmatch(r"\d+(\.\d+)?", word):
            raise ValueError(f"{word!r} needs a unit: {word}K, {word}M or {word}B (per second)")
        raise ValueError(f"{word!r} is not a rate like 512K, 8M, 1G or off")
    value = int(float(match.group(1)) * _UNITS[match.group(2).upper()])
    if value < MIN_RATE:
        raise ValueError(f"{word!r} is below the smallest limit, 1K per second")
    return value


def parse_rate(text: str) -> Rate:
    """``"8M"`` (both directions) or ``"UP:DOWN"`` such as ``"10M:off"``."""
    parts = text.split(":")
    if len(parts) == 1:
        both = parse_size(parts[0])
        return Rate(up=both, down=both)
    if len(parts) == 2:
        return Rate(up=parse_size(parts[0]), down=parse_size(parts[1]))
    raise ValueError(f"{text!r} is not RATE or UP:DOWN")


def _minute(text: str) -> int:
    match = _TIME.match(text)
    if match is None or int(match.group(1)) > 23 or int(match.group(2)) > 59:
        raise ValueError(f"{text!r} is not a time of day like 08:00 (00:00-23:59)")
    return int(match.group(1)) * 60 + int(match.group(2))


def parse_bandwidth(text: str) -> BandwidthSchedule:
    """Parse a ``bandwidth_limit`` value (see the module); raise ValueError if unreadable."""
    words = text.split()
    if not words:
        raise ValueError("is empty: use a rate like 8M, a timetable, or off")
    if len(words) == 1 and "," not in words[0]:
        return BandwidthSchedule(entries=((0, parse_rate(words[0])),), text=text.strip())
    entries: dict[int, Rate] = {}
    for word in words:
        when, sep, rate = word.partition(",")
        if not sep:
            raise ValueError(f"timetable entry {word!r} is not HH:MM,RATE")
        minute = _minute(when)
        if minute in entries:
            raise ValueError(f"timetable names {when} twice")
        entries[minute] = parse_rate(rate)
    return BandwidthSchedule(entries=tuple(sorted(entries.items())), text=" ".join(words))


def upload_only(rate_bytes_per_s: int) -> BandwidthSchedule:
    """The schedule of the deprecated ``max_upload_bytes_per_s``: uploads only, all day."""
    return BandwidthSchedule(
        entries=((0, Rate(up=rate_bytes_per_s)),), text=f"{rate_bytes_per_s}B:off"
    )
