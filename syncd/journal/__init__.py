"""The change journal: SQLite-backed queue of pending changes and index of uploads.

Imports ``syncd.errors``, ``syncd.domain`` and ``syncd.clock``; the only package that
imports SQLAlchemy. Other packages use ``Journal`` (and ``InstanceLock`` from
``syncd.journal.lock``), never the modules behind it, except ``syncd.journal.peek``:
the read-only, SQLAlchemy-free view for ``status``. The names below are loaded on first
use, so importing ``syncd.journal.peek`` does not load SQLAlchemy.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.journal.history import HistoryEvent
    from syncd.journal.ledger import CallCount
    from syncd.journal.lock import InstanceLock
    from syncd.journal.remote_index import Divergence, Walk, Written
    from syncd.journal.store import Journal

__all__ = [
    "CallCount",
    "Divergence",
    "HistoryEvent",
    "InstanceLock",
    "Journal",
    "Walk",
    "Written",
]
_HOMES = {
    "CallCount": "syncd.journal.ledger",
    "Divergence": "syncd.journal.remote_index",
    "HistoryEvent": "syncd.journal.history",
    "InstanceLock": "syncd.journal.lock",
    "Journal": "syncd.journal.store",
    "Walk": "syncd.journal.remote_index",
    "Written": "syncd.journal.remote_index",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(name)
    return getattr(importlib.import_module(home), name)
