"""syncd ls: how times are shown."""

from __future__ import annotations

from syncd.cli.ls_cmd import _when


def test_ls_shows_a_time_out_of_range() -> None:
    """ls prints an mtime past year 9999 as milliseconds instead of failing."""
    assert _when(300_000_000_000_000) == "300000000000000 ms"
    assert _when(-1500) == "1969-12-31 23:59:58"
    assert _when(None) == "-"
