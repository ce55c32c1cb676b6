"""The engine: pure planning, and the workers and passes that wire the journal and a
remote store. This package is its only face: ``from syncd.engine import WorkerPool``.

Its modules are private to it (import-linter's "the engine's modules are private"
contract); every name other layers use is listed here. It reaches remote storage only
through the ``RemoteStore`` port and the plain values of ``syncd.remote``, so another
backend plugs in without touching the engine.

The names are re-exported lazily (PEP 562 ``__getattr__``): importing this package
loads nothing, and each name loads only the module that defines it. So the CLI's own
names (``RunReport``, ``parse_time``) never pull in the workers, the watcher or the
journal, and ``syncd --version`` and ``syncd status`` load no engine module at all:
they start as fast as before the engine had a face. For the type checker the same
names are plain imports (the ``TYPE_CHECKING`` block); ``tests/unit/engine/test_face.py``
keeps the two lists equal.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from syncd.engine.adopt import adopt_folder
    from syncd.engine.dryrun import DryRun, PlannedItem, counts
    from syncd.engine.guard import DeleteGuard, RootGuard
    from syncd.engine.health import remote_bound_s
    from syncd.engine.inbox import Inbox
    from syncd.engine.job import FolderRuntime
    from syncd.engine.local import MARKER_NAME
    from syncd.engine.pause import PauseGate
    from syncd.engine.ports import RemoteStore
    from syncd.engine.prune import PruneOutcome, VersionSource, listed_versions, prune_folder
    from syncd.engine.reconcile import CallLedger, Reconciler
    from syncd.engine.report import ProgressHook, RunReport, Tally
    from syncd.engine.rescan import Rescanner, timing_of
    from syncd.engine.restore_inplace import InPlaceRecorder
    from syncd.engine.restore_names import rel_problem
    from syncd.engine.restore_plan import (
        Note,
        RestorePlan,
        at_time,
        deleted_now,
        one_version,
        undo_window,
    )
    from syncd.engine.restore_plan import plan as plan_restore
    from syncd.engine.restore_run import RestoreOutcome, Restorer
    from syncd.engine.restore_time import AtFileId, AtTime, parse_at, parse_duration_s, parse_time
    from syncd.engine.restore_versions import LsRow, histories, ls_rows
    from syncd.engine.restore_write import TargetDir
    from syncd.engine.scrub import NameSource, Scrubber, ScrubOptions, ScrubReport
    from syncd.engine.worker import WorkerPool

# name -> (module, name there)
_EXPORTS: dict[str, tuple[str, str]] = {
    "MARKER_NAME": ("local", "MARKER_NAME"),
    "AtFileId": ("restore_time", "AtFileId"),
    "AtTime": ("restore_time", "AtTime"),
    "DeleteGuard": ("guard", "DeleteGuard"),
    "DryRun": ("dryrun", "DryRun"),
    "FolderRuntime": ("job", "FolderRuntime"),
    "InPlaceRecorder": ("restore_inplace", "InPlaceRecorder"),
    "Inbox": ("inbox", "Inbox"),
    "LsRow": ("restore_versions", "LsRow"),
    "Note": ("restore_plan", "Note"),
    "PauseGate": ("pause", "PauseGate"),
    "PlannedItem": ("dryrun", "PlannedItem"),
    "ProgressHook": ("report", "ProgressHook"),
    "Reconciler": ("reconcile", "Reconciler"),
    "NameSource": ("scrub", "NameSource"),
    "Scrubber": ("scrub", "Scrubber"),
    "ScrubOptions": ("scrub", "ScrubOptions"),
    "ScrubReport": ("scrub", "ScrubReport"),
    "PruneOutcome": ("prune", "PruneOutcome"),
    "VersionSource": ("prune", "VersionSource"),
    "listed_versions": ("prune", "listed_versions"),
    "prune_folder": ("prune", "prune_folder"),
    "CallLedger": ("reconcile", "CallLedger"),
    "RemoteStore": ("ports", "RemoteStore"),
    "Rescanner": ("rescan", "Rescanner"),
    "RestoreOutcome": ("restore_run", "RestoreOutcome"),
    "RestorePlan": ("restore_plan", "RestorePlan"),
    "Restorer": ("restore_run", "Restorer"),
    "RootGuard": ("guard", "RootGuard"),
    "RunReport": ("report", "RunReport"),
    "Tally": ("report", "Tally"),
    "TargetDir": ("restore_write", "TargetDir"),
    "WorkerPool": ("worker", "WorkerPool"),
    "adopt_folder": ("adopt", "adopt_folder"),
    "at_time": ("restore_plan", "at_time"),
    "counts": ("dryrun", "counts"),
    "deleted_now": ("restore_plan", "deleted_now"),
    "histories": ("restore_versions", "histories"),
    "ls_rows": ("restore_versions", "ls_rows"),
    "one_version": ("restore_plan", "one_version"),
    "parse_at": ("restore_time", "parse_at"),
    "parse_duration_s": ("restore_time", "parse_duration_s"),
    "parse_time": ("restore_time", "parse_time"),
    "plan_restore": ("restore_plan", "plan"),
    "rel_problem": ("restore_names", "rel_problem"),
    "remote_bound_s": ("health", "remote_bound_s"),
    "timing_of": ("rescan", "timing_of"),
    "undo_window": ("restore_plan", "undo_window"),
}

__all__ = [
    "MARKER_NAME",
    "AtFileId",
    "AtTime",
    "CallLedger",
    "DeleteGuard",
    "DryRun",
    "FolderRuntime",
    "InPlaceRecorder",
    "Inbox",
    "LsRow",
    "NameSource",
    "Note",
    "PauseGate",
    "PlannedItem",
    "ProgressHook",
    "PruneOutcome",
    "Reconciler",
    "RemoteStore",
    "Rescanner",
    "RestoreOutcome",
    "RestorePlan",
    "Restorer",
    "RootGuard",
    "RunReport",
    "ScrubOptions",
    "ScrubReport",
    "Scrubber",
    "Tally",
    "TargetDir",
    "VersionSource",
    "WorkerPool",
    "adopt_folder",
    "at_time",
    "counts",
    "deleted_now",
    "histories",
    "listed_versions",
    "ls_rows",
    "one_version",
    "parse_at",
    "parse_duration_s",
    "parse_time",
    "plan_restore",
    "prune_folder",
    "rel_problem",
    "remote_bound_s",
    "timing_of",
    "undo_window",
]

if not TYPE_CHECKING:  # the type checker sees the imports above instead

    def __getattr__(name: str) -> object:
        """Load ``name`` from its module on first use and keep it here."""
        try:
            module, attr = _EXPORTS[name]
        except KeyError:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}") from None
        value = getattr(importlib.import_module(f"{__name__}.{module}"), attr)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
