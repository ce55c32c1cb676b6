"""``syncd.cli.lazy.without``: optional extras look uninstalled inside the block only."""

from __future__ import annotations

import sys

import pytest

from syncd.cli.lazy import without

ABSENT = "syncd_test_no_such_extra"


def test_a_hidden_name_fails_to_import_inside_and_is_restored_after() -> None:
    """Inside the block ``import NAME`` raises ImportError; after it NAME is not hidden."""
    import json  # noqa: PLC0415 (loaded already: must stay loaded)

    with without((ABSENT, "json")):
        with pytest.raises(ImportError):
            __import__(ABSENT)
        assert sys.modules["json"] is json
    assert ABSENT not in sys.modules
    assert sys.modules["json"] is json


def test_the_block_restores_on_error() -> None:
    """An exception leaving the block still un-hides the names."""
    with pytest.raises(RuntimeError), without((ABSENT,)):
        raise RuntimeError("boom")
    assert ABSENT not in sys.modules
