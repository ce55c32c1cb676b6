"""The close-write memory: a first close is fast, a close within the window a rewrite."""

from __future__ import annotations

from syncd.watch.closes import Closes

A, B = ("f", "a"), ("f", "b")


def test_first_close_is_fast_and_a_quick_second_is_a_rewrite() -> None:
    """Closing the same file again within the window is not fast; other files are."""
    closes = Closes(window_s=2.0)
    assert closes.fast(A, 0.0)
    assert not closes.fast(A, 0.1)
    assert closes.fast(B, 0.1)


def test_a_file_rewritten_without_rest_stays_slow() -> None:
    """Closes every 100 ms keep the file slow: each is measured from the previous close."""
    closes = Closes(window_s=2.0)
    assert closes.fast(A, 0.0)
    assert not any(closes.fast(A, k / 10) for k in range(1, 50))
    assert closes.fast(A, 4.9 + 2.0)


def test_old_closes_are_pruned_and_memory_is_bounded() -> None:
    """Entries past the window are dropped; past max_paths the oldest go first."""
    closes = Closes(window_s=1.0, max_paths=3)
    for k in range(5):
        closes.fast(("f", str(k)), 0.0)
    assert len(closes) == 3
    closes.prune(1.0)
    assert len(closes) == 0


def test_forget_drops_one_folder() -> None:
    """A lost root forgets its closes only."""
    closes = Closes(window_s=2.0)
    closes.fast(A, 0.0)
    closes.fast(("g", "a"), 0.0)
    closes.forget("f")
    assert closes.fast(A, 0.1)
    assert not closes.fast(("g", "a"), 0.1)
