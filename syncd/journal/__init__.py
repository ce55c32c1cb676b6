"""The change journal: SQLite-backed queue of pending changes and index of uploads.

Imports ``syncd.errors``, ``syncd.domain`` and ``syncd.clock``; the only package that
imports SQLAlchemy. Other packages use ``Journal`` (and ``InstanceLock`` from
``syncd.journal.lock``), never the modules behind it.
"""

from syncd.journal.ledger import CallCount
from syncd.journal.lock import InstanceLock
from syncd.journal.remote_index import Divergence, Walk, Written
from syncd.journal.store import Journal

__all__ = ["CallCount", "Divergence", "InstanceLock", "Journal", "Walk", "Written"]
