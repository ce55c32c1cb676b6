"""Counting remote calls by B2 price class (A, B, C): one counter for every backend.

B2 bills transactions per class whichever API they come through; each backend says how
its calls map to classes (``syncd.b2.billing.price_class``, the S3 session's table) and
counts them here until the engine takes the counts into the journal's ledger.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable


class CallCounter:
    """Counts calls by price class until they are taken."""

    def __init__(self, classify: Callable[[str], str]) -> None:
        """``classify`` maps a call name to its price class."""
        self._classify = classify
        self._lock = threading.Lock()
        self._counts: Counter[str] = Counter()

    def add(self, call: str) -> None:
        """One request of ``call`` was sent."""
        cls = self._classify(call)
        with self._lock:
            self._counts[cls] += 1

    def take(self) -> dict[str, int]:
        """The counts since the last take, by class; the counter starts again at zero."""
        with self._lock:
            counts = dict(self._counts)
            self._counts.clear()
        return counts
