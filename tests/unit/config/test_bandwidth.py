"""``[b2] bandwidth_limit``: rates, UP:DOWN, and timetables by local time, table-tested."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from syncd.config.bandwidth import BandwidthSchedule, Rate, parse_bandwidth, parse_size
from syncd.config.loader import parse_config
from syncd.errors import ConfigError

K, M, G = 1024, 1024**2, 1024**3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("8M", 8 * M),
        ("512k", 512 * K),
        ("1.5M", int(1.5 * M)),
        ("2G", 2 * G),
        ("4096B", 4096),
        ("off", None),
        ("OFF", None),
    ],
)
def test_sizes_are_bytes_per_second_in_powers_of_1024(text: str, expected: int | None) -> None:
    """K/M/G are KiB/MiB/GiB per second, B plain bytes, off no limit (as rclone)."""
    assert parse_size(text) == expected


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("512", "needs a unit"),
        ("8X", "not a rate"),
        ("100B", "below the smallest"),
        ("", "is empty"),
        ("08:00,1M 19:00", "not HH:MM,RATE"),
        ("25:00,1M", "not a time of day"),
        ("08:60,1M", "not a time of day"),
        ("08:00,1M 08:00,2M", "twice"),
        ("1M:2M:3M", "not RATE or UP:DOWN"),
        ("08:00,fast", "not a rate"),
    ],
)
def test_unreadable_values_say_why(text: str, reason: str) -> None:
    """Each unreadable value is refused with a reason a user can act on."""
    with pytest.raises(ValueError, match=reason):
        parse_bandwidth(text)


@pytest.mark.parametrize(
    ("text", "minute", "expected"),
    [
        ("8M", 0, Rate(up=8 * M, down=8 * M)),
        ("8M", 1439, Rate(up=8 * M, down=8 * M)),
        ("10M:off", 600, Rate(up=10 * M, down=None)),
        ("off:1M", 600, Rate(up=None, down=1 * M)),
        ("off", 600, Rate()),
        ("08:00,2M 19:00,off", 8 * 60, Rate(up=2 * M, down=2 * M)),
        ("08:00,2M 19:00,off", 18 * 60 + 59, Rate(up=2 * M, down=2 * M)),
        ("08:00,2M 19:00,off", 19 * 60, Rate()),
        ("08:00,2M 19:00,off", 3 * 60, Rate()),  # before 08:00: 19:00's rate wraps
        ("19:00,off 08:00,2M", 12 * 60, Rate(up=2 * M, down=2 * M)),  # any order
        ("00:00,1M 12:30,4M:off", 12 * 60 + 29, Rate(up=1 * M, down=1 * M)),
        ("00:00,1M 12:30,4M:off", 12 * 60 + 30, Rate(up=4 * M, down=None)),
    ],
)
def test_the_rate_at_a_minute_of_the_day(text: str, minute: int, expected: Rate) -> None:
    """Each entry holds from its time to the next; the last one wraps past midnight."""
    assert parse_bandwidth(text).rate_at(minute) == expected


def test_the_default_is_unlimited() -> None:
    """No bandwidth_limit: no limit at any time."""
    assert not BandwidthSchedule().is_limited
    assert BandwidthSchedule().rate_at(720) == Rate()
    assert parse_bandwidth("08:00,1M 19:00,off").is_limited


def load_b2(tmp_path: Path, **b2: object) -> BandwidthSchedule:
    """The bandwidth schedule a config with these ``[b2]`` keys loads to."""
    (tmp_path / "data").mkdir(exist_ok=True)
    raw: dict[str, Any] = {
        "b2": {"key_id": "k", "key_env": "KEY", **b2},
        "state": {"dir": str(tmp_path / "state")},
        "folder": [{"path": str(tmp_path / "data"), "bucket": "my-bucket"}],
    }
    config = parse_config(raw, source=Path("x"), environ={"KEY": "s"}, resolve_key=False)
    return config.b2.bandwidth


def test_the_config_key_and_its_deprecated_alias(tmp_path: Path) -> None:
    """bandwidth_limit loads; max_upload_bytes_per_s still limits uploads only."""
    assert load_b2(tmp_path, bandwidth_limit="08:00,2M 19:00,off").text == "08:00,2M 19:00,off"
    old = load_b2(tmp_path, max_upload_bytes_per_s=200_000)
    assert old.rate_at(0) == Rate(up=200_000, down=None)
    assert not load_b2(tmp_path).is_limited


@pytest.mark.parametrize(
    ("b2", "message"),
    [
        ({"bandwidth_limit": "512"}, "b2.bandwidth_limit: '512' needs a unit"),
        (
            {"bandwidth_limit": "1M", "max_upload_bytes_per_s": 2048},
            "b2.max_upload_bytes_per_s: is the old name of bandwidth_limit",
        ),
    ],
)
def test_a_bad_limit_is_one_config_line(tmp_path: Path, b2: dict[str, Any], message: str) -> None:
    """An unreadable limit, or both keys, is a ConfigError naming the key (exit 78)."""
    with pytest.raises(ConfigError) as caught:
        load_b2(tmp_path, **b2)
    assert str(caught.value).startswith(message)
    assert "\n" not in str(caught.value)
