"""The change journal: SQLite-backed queue of pending changes and index of uploads.

Imports ``syncd.errors``, ``syncd.domain`` and ``syncd.clock``; the only package that
imports SQLAlchemy. Other packages use ``Journal`` (and ``InstanceLock`` from
``syncd.journal.lock``), never the modules behind it, except ``syncd.journal.peek``:
the read-only, SQLAlchemy-free view for ``status``. The names below are loaded on first
use, so importing ``syncd.journal.peek`` does not load SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from syncd.journal.lock import InstanceLock
    from syncd.journal.store import Journal

__all__ = ["InstanceLock", "Journal"]


def __getattr__(name: str) -> Any:
    if name == "Journal":
        from syncd.journal.store import Journal  # noqa: PLC0415

        return Journal
    if name == "InstanceLock":
        from syncd.journal.lock import InstanceLock  # noqa: PLC0415

        return InstanceLock
    raise AttributeError(name)
