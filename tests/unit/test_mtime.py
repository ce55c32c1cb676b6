"""The one rule turning a local mtime (ns) into ``src_last_modified_millis`` (ms)."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from syncd.b2.parse import parse_mtime_ms
from syncd.domain import LocalState, mtime_ms_of

INT64 = st.integers(min_value=-(2**63), max_value=2**63 - 1)


@pytest.mark.parametrize(
    ("mtime_ns", "ms"),
    [
        (0, 0),
        (999_999, 0),
        (1_000_000, 1),
        (1_600_000_000_123_999_999, 1_600_000_000_123),  # never rounded up across a ms
        (-1, 0),  # like rclone's UnixNano()/1e6 and b2sdk's int(mtime*1000): toward zero
        (-999_999, 0),
        (-1_000_000, -1),
        (-1_500_000, -1),
        (-86_400_000_000_001, -86_400_000),  # 1969-12-31, one ns past a whole ms
        (32_503_680_000_000_000_000, 32_503_680_000_000),  # year 3000
    ],
)
def test_mtime_ms_examples(mtime_ns: int, ms: int) -> None:
    """Whole ms are kept, the rest is cut off toward zero, on both sides of 1970."""
    assert mtime_ms_of(mtime_ns) == ms


@given(INT64)
def test_mtime_ms_truncates_toward_zero(mtime_ns: int) -> None:
    """The rule equals exact decimal truncation of ns / 10**6 for every int64 mtime."""
    exact = (Decimal(mtime_ns) / Decimal(10**6)).quantize(Decimal(1), rounding=ROUND_DOWN)
    assert mtime_ms_of(mtime_ns) == int(exact)


@given(INT64)
def test_local_state_uses_the_rule(mtime_ns: int) -> None:
    """LocalState.mtime_ms is the same rule as every other conversion."""
    state = LocalState(rel_path="a", size=0, mtime_ns=mtime_ns, ctime_ns=0, dev=1, inode=2)  # type: ignore[arg-type]
    assert state.mtime_ms == mtime_ms_of(mtime_ns)


@given(INT64)
def test_written_mtime_is_read_back(mtime_ns: int) -> None:
    """What syncd writes as src_last_modified_millis parses back to the same ms."""
    written = str(mtime_ms_of(mtime_ns))
    assert parse_mtime_ms({"src_last_modified_millis": written}) == mtime_ms_of(mtime_ns)


@pytest.mark.parametrize("raw", ["", "abc", "1.5", "--1", "-", " ", "1e3", "99999999999999999999"])
def test_garbage_mtime_is_none(raw: str) -> None:
    """A value that is not a decimal int64 is no mtime at all."""
    assert parse_mtime_ms({"src_last_modified_millis": raw}) is None
