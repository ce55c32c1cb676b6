"""Compose ``syncd prune``: config in, one outcome per folder out.

Imports the app's ``Remote`` (an authorized client), the journal (read only),
``engine.prune`` and the B2 client's lifecycle rule. Pruning deletes versions for
good, so it needs the key's ``deleteFiles`` capability (``--dry-run`` only lists);
``--as-lifecycle-rule`` needs ``writeBuckets`` instead and lists nothing. The journal
is only read (the versions its index names are kept), so the daemon may run meanwhile.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

import structlog

from syncd.app.build import App
from syncd.app.files import JOURNAL_NAME, state_path
from syncd.app.restore import READ_CAPABILITIES, Remote
from syncd.b2 import B2Client, LifecycleRule
from syncd.clock import Clock, SystemClock
from syncd.config import Config, FolderConfig
from syncd.engine import PruneOutcome, RemoteStore, VersionSource, listed_versions, prune_folder
from syncd.errors import SafetyStopError, UsageError
from syncd.journal import HistoryEvent, Journal

log = structlog.get_logger(__name__)

PRUNE_CAPABILITIES = READ_CAPABILITIES | {"deleteFiles"}
LIFECYCLE_CAPABILITIES = frozenset({"listBuckets", "writeBuckets"})


def version_source(client: RemoteStore) -> VersionSource:
    """Where prune's versions come from: a listing now. The one line to change when
    the journal's remote index serves them."""
    return listed_versions(client)


def chosen_folders(config: Config, name: str | None) -> list[FolderConfig]:
    """The folder named ``name`` (every folder when None); UsageError if unknown."""
    if name is None:
        return list(config.folders)
    for folder in config.folders:
        if folder.name == name:
            return [folder]
    known = ", ".join(f.name for f in config.folders)
    raise UsageError(f"{name!r} is not a folder name of this config (folders: {known})")


def run_prune(
    config: Config,
    folder: str | None = None,
    *,
    dry_run: bool = False,
    approve: bool = False,
    clock: Clock | None = None,
) -> list[PruneOutcome]:
    """Prune each chosen folder that has retention rules; folders without rules are
    skipped (nothing to decide)."""
    clock = clock or SystemClock()
    folders = [f for f in chosen_folders(config, folder) if f.retention.is_configured]
    if not folders:
        return []
    need = READ_CAPABILITIES if dry_run else PRUNE_CAPABILITIES
    outcomes = []
    with contextlib.ExitStack() as stack:
        journal = None
        path = state_path(config, JOURNAL_NAME)
        if path.exists():  # read only: safe while the daemon runs (SQLite in WAL mode)
            journal = Journal.open(path, clock=clock)
            stack.callback(journal.close)
        remote = stack.enter_context(Remote(config, need=need))
        versions = version_source(remote.client)
        for f in folders:
            outcome = prune_folder(
                f,
                remote.bucket(f),
                versions=versions,
                store=remote.client,
                now_ms=clock.now_ms(),
                dry_run=dry_run,
                approve=approve,
                indexed=frozenset() if journal is None else indexed_ids(journal, f.name),
            )
            if journal is not None:
                record_deletes(journal, f, outcome)
            outcomes.append(outcome)
    return outcomes


def record_deletes(journal: Journal, folder: FolderConfig, outcome: PruneOutcome) -> None:
    """Keep the versions the prune deleted in the history (after the deletes: B2 has no
    transaction to share, so a crash between the two loses these rows only)."""
    events = [
        HistoryEvent(
            action="delete",
            rel_path=v.file_name.removeprefix(folder.prefix),
            file_id=v.file_id,
            size=v.size,
            detail=f"prune: retention ({v.action})",
        )
        for v in outcome.deleted_versions
    ]
    journal.record_history(folder.name, events)


def indexed_ids(journal: Journal, folder: str) -> frozenset[str]:
    """The fileIds the journal's index names for ``folder`` (what syncd last uploaded
    per path; the worker copies from them on a rename or a touch)."""
    return frozenset(entry.file_id for entry in journal.iter_index(folder))


def prune_app_folders(app: App) -> list[PruneOutcome]:
    """The daemon's scheduled prune of every folder with retention rules. The daemon
    never approves: a plan past max_delete_share pauses (shown in the status line) until
    ``syncd prune --approve``. A folder whose root is not the one recorded is skipped,
    since its files would all look deleted locally."""
    versions = version_source(app.client)
    outcomes = []
    for name, runtime in app.folders.items():
        if not runtime.config.retention.is_configured:
            continue
        try:
            runtime.root.check()
        except SafetyStopError as exc:
            log.warning("prune_skipped", folder=name, reason=str(exc))
            continue
        outcome = prune_folder(
            runtime.config,
            runtime.bucket,
            versions=versions,
            store=app.client,
            now_ms=app.clock.now_ms(),
            indexed=indexed_ids(app.journal, name),
            stop=app.stop,
        )
        record_deletes(app.journal, runtime.config, outcome)
        if outcome.refused:
            app.report.pause(outcome.refused)
        outcomes.append(outcome)
    return outcomes


@dataclass(frozen=True, slots=True, kw_only=True)
class LifecycleOutcome:
    """The rule set for one folder and every rule the bucket holds now."""

    folder: str
    rule: LifecycleRule
    bucket_rules: tuple[LifecycleRule, ...]


def lifecycle_rule_of(folder: FolderConfig) -> LifecycleRule:
    """The B2 lifecycle rule equal to the folder's retention, or UsageError when the
    retention is not exactly "keep_days = N" (B2 rules cannot express the rest)."""
    days = folder.retention.lifecycle_days()
    if days is None:
        raise UsageError(
            f"folder {folder.name}: --as-lifecycle-rule needs a retention of keep_days = N "
            "(N >= 1) and no other rule; B2 lifecycle rules cannot express the others"
        )
    if not folder.prefix:
        raise UsageError(
            f"folder {folder.name}: has no prefix, so its lifecycle rule would cover the "
            "whole bucket; give the folder a prefix first"
        )
    return LifecycleRule(file_name_prefix=folder.prefix, days_from_hiding_to_deleting=days)


def set_lifecycle_rules(config: Config, folder: str | None = None) -> list[LifecycleOutcome]:
    """Set each chosen folder's retention as its bucket's lifecycle rule for its prefix."""
    folders = chosen_folders(config, folder)
    if folder is None:  # every folder: those with rules (each must fit a lifecycle rule)
        folders = [f for f in folders if f.retention.is_configured]
    if not folders:
        raise UsageError("no folder has [retention] rules to turn into a lifecycle rule")
    rules = [(f, lifecycle_rule_of(f)) for f in folders]  # refuse before any change
    outcomes = []
    with Remote(config, need=LIFECYCLE_CAPABILITIES) as remote:
        client = remote.client
        if not isinstance(client, B2Client):
            raise UsageError('--as-lifecycle-rule needs [b2] api = "native"')
        for f, rule in rules:
            bucket_rules = client.set_lifecycle_rule(remote.bucket(f), rule)
            outcomes.append(LifecycleOutcome(folder=f.name, rule=rule, bucket_rules=bucket_rules))
    return outcomes
