"""Prune one folder: list its versions, plan with the retention rules, and delete what
no rule keeps, unless the plan would delete too large a share of the folder.

Imports the engine's ``RemoteStore`` port, the pure ``engine.retention`` planner,
``syncd.config``, ``syncd.remote`` and ``syncd.errors``. Where the versions come from
is one ``VersionSource`` (today a ``list_file_versions`` walk through the port; the
journal's remote index can stand in for it without changing anything else).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import structlog

from syncd.config import FolderConfig
from syncd.engine.ports import RemoteStore
from syncd.engine.retention import CONTENT_ACTIONS, NameVersions, PrunePlan, plan_folder
from syncd.errors import Recovery, RemoteError
from syncd.remote import Bucket, FileVersion

log = structlog.get_logger(__name__)
HISTORY_ACTIONS = frozenset({*CONTENT_ACTIONS, "hide"})
LEGAL_HOLD_MS = 2**63 - 1  # a legal hold has no end date

VersionSource = Callable[[Bucket, str], Iterable[FileVersion]]
"""(bucket, prefix) -> every version under the prefix, by name, newest first."""


def listed_versions(store: RemoteStore) -> VersionSource:
    """The versions as B2 lists them now (class C: one call per 1,000 versions)."""
    return store.iter_versions


@dataclass(slots=True, kw_only=True)
class PruneOutcome:
    """What a prune of one folder decided and did."""

    folder: str
    plan: PrunePlan
    dry_run: bool
    over_share: bool = False  # the plan deletes more than max_delete_share
    refused: str | None = None  # why nothing was deleted (the share guard)
    deleted: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (file id, error)
    deleted_versions: list[FileVersion] = field(default_factory=list)  # for the history


def exists_locally(root: Path, rel_path: str) -> bool:
    """True when something is at ``rel_path`` under ``root``; an error other than "not
    there" counts as present, so a doubt protects the version."""
    parts = rel_path.split("/")
    if not rel_path or ".." in parts or rel_path.startswith("/"):
        return False  # not a name syncd could have written for this folder
    try:
        os.lstat(root.joinpath(*parts))
    except (FileNotFoundError, NotADirectoryError):
        return False
    except OSError:
        return True
    return True


def name_versions(
    folder: FolderConfig, versions: Iterable[FileVersion], indexed: frozenset[str] = frozenset()
) -> Iterator[NameVersions]:
    """Group a name-sorted listing per name, newest first, with whether the file
    exists locally; unfinished large files and folder markers are left out."""
    group: list[FileVersion] = []
    for version in versions:
        if version.action not in HISTORY_ACTIONS:
            continue
        if group and version.file_name != group[0].file_name:
            yield _name(folder, group, indexed)
            group = []
        group.append(version)
    if group:
        yield _name(folder, group, indexed)


def _name(folder: FolderConfig, group: list[FileVersion], indexed: frozenset[str]) -> NameVersions:
    ordered = tuple(sorted(group, key=lambda v: -v.upload_timestamp_ms))  # stable
    name = ordered[0].file_name
    rel = name[len(folder.prefix) :]
    return NameVersions(
        name=name,
        versions=ordered,
        exists_locally=exists_locally(folder.path, rel),
        locked_until_ms=lock_dates(ordered),
        indexed=indexed & {v.file_id for v in ordered},
    )


def lock_dates(versions: Iterable[FileVersion]) -> dict[str, int]:
    """Object Lock per fileId: the retain-until time (when a retention mode is set), or
    forever under a legal hold. Versions without either are not in the map."""
    dates: dict[str, int] = {}
    for version in versions:
        if version.legal_hold:
            dates[version.file_id] = LEGAL_HOLD_MS
        elif version.retention_mode is not None and version.retain_until_ms is not None:
            dates[version.file_id] = version.retain_until_ms
    return dates


def prune_folder(
    folder: FolderConfig,
    bucket: Bucket,
    *,
    versions: VersionSource,
    store: RemoteStore,
    now_ms: int,
    dry_run: bool = False,
    approve: bool = False,
    indexed: frozenset[str] = frozenset(),
    stop: threading.Event | None = None,
) -> PruneOutcome:
    """Plan the folder's retention and, unless ``dry_run``, delete what no rule keeps;
    ``indexed`` are the fileIds of the journal's index for the folder (always kept).
    A set ``stop`` ends the deletes between two calls (the order keeps that safe)."""
    policy = folder.retention
    names = name_versions(folder, versions(bucket, folder.prefix), indexed)
    plan = plan_folder(names, policy, now_ms)
    outcome = PruneOutcome(folder=folder.name, plan=plan, dry_run=dry_run)
    deletes = plan.deletes
    outcome.over_share = bool(deletes) and plan.delete_share > policy.max_delete_share
    if outcome.over_share and not approve and not dry_run:
        outcome.refused = (
            f"folder {folder.name}: the prune would delete {len(deletes)} of "
            f"{len(plan.decisions)} versions ({plan.delete_share:.0%}), more than "
            f"max_delete_share {policy.max_delete_share:.0%}; nothing deleted. "
            "see `syncd prune --dry-run`, then run `syncd prune --approve`"
        )
        log.warning(
            "prune_refused",
            folder=folder.name,
            deletes=len(deletes),
            versions=len(plan.decisions),
            max_delete_share=policy.max_delete_share,
        )
        return outcome
    if not dry_run:
        _delete(store, deletes, outcome, stop or threading.Event())
    log.info(
        "prune_finished",
        folder=folder.name,
        versions=len(plan.decisions),
        planned_deletes=len(deletes),
        deleted=outcome.deleted,
        failed=len(outcome.failed),
        dry_run=dry_run,
    )
    return outcome


def _delete(
    store: RemoteStore, deletes: list[FileVersion], outcome: PruneOutcome, stop: threading.Event
) -> None:
    """Delete in the plan's order (each name oldest first, hide markers last). When a
    version fails, the name's hide markers stay: the version is still under them."""
    failed_names: set[str] = set()
    for version in deletes:
        if stop.is_set():
            log.info("prune_stopped", folder=outcome.folder, deleted=outcome.deleted)
            return
        if version.action not in CONTENT_ACTIONS and version.file_name in failed_names:
            continue  # a version under this marker could not be deleted: keep the marker
        try:
            store.delete_version(version)
        except RemoteError as exc:
            if exc.recovery is Recovery.FATAL:
                raise
            failed_names.add(version.file_name)
            outcome.failed.append((version.file_id, str(exc)))
            log.warning("prune_delete_failed", file_id=version.file_id, error=str(exc))
            continue
        outcome.deleted += 1
        outcome.deleted_versions.append(version)
