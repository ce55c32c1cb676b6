"""Compose ``ls``, ``restore`` and ``undelete``: config in, rows or an outcome out.

Reading needs only ``listFiles`` and ``readFiles``; a restore into a separate directory
never touches the journal or writes to B2. In-place restores (``--in-place``,
``undelete``, ``--since``) take the instance lock, so they never race a running daemon
(stop it first: exit 75 otherwise), and record each restored file through
``InPlaceRecorder``.
"""

from __future__ import annotations

import contextlib
import os
import random
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from syncd.app.build import lock_state, start_embedded
from syncd.app.files import JOURNAL_NAME, state_path
from syncd.app.protection import write_policies
from syncd.app.remote import RemoteClient, build_remote
from syncd.b2 import Bucket, CallMeter, FileVersion, make_http_client
from syncd.clock import SystemClock
from syncd.config import EMBEDDED_REALM, Config, FolderConfig
from syncd.engine import (
    AtFileId,
    AtTime,
    InPlaceRecorder,
    LsRow,
    Note,
    ProgressHook,
    RestoreOutcome,
    RestorePlan,
    Restorer,
    TargetDir,
    at_time,
    deleted_now,
    histories,
    ls_rows,
    one_version,
    plan_restore,
    rel_problem,
    undo_window,
)
from syncd.errors import LocalAccessError, UsageError
from syncd.journal import Journal

READ_CAPABILITIES = frozenset({"listBuckets", "listFiles", "readFiles"})
WRITE_CAPABILITIES = READ_CAPABILITIES | {"writeFiles"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Selection:
    """One PATH argument: a folder and a sub-path inside it ("" for all of it)."""

    folder: FolderConfig
    sub: str


def select(config: Config, path: str) -> Selection:
    """``FOLDER`` or ``FOLDER/sub/path`` -> Selection (UsageError for unknown folders)."""
    name, _, sub = path.strip("/").partition("/")
    sub = sub.strip("/")
    folders = {f.name: f for f in config.folders}
    if name not in folders:
        known = ", ".join(sorted(folders)) or "none"
        raise UsageError(f"{name!r} is not a folder name of this config (folders: {known})")
    if sub and rel_problem(sub) is not None:
        raise UsageError(f"{path!r}: {rel_problem(sub)}")
    return Selection(folder=folders[name], sub=sub)


def default_target(now: datetime) -> Path:
    """``./syncd-restore-<UTC time>``, a new directory for each restore."""
    return Path.cwd() / f"syncd-restore-{now.astimezone(UTC):%Y%m%dT%H%M%SZ}"


def make_default_target(target: Path) -> None:
    """Create the default target; it must not exist yet (its name is predictable, so
    anything already there, a planted symlink included, is refused)."""
    try:
        os.mkdir(target, 0o755)
    except FileExistsError:
        raise UsageError(f"{target} already exists; name a target with --to") from None
    except OSError as exc:
        raise UsageError(f"{target}: cannot create the target: {exc.strerror}") from exc


def check_to(target: Path) -> None:
    """``--to DIR``: refused when DIR is a symlink or something other than a directory."""
    if target.is_symlink():
        raise UsageError(f"--to {target}: is a symlink; name the real directory")
    if os.path.lexists(target) and not target.is_dir():
        raise UsageError(f"--to {target}: exists and is not a directory")


@dataclass(frozen=True, slots=True, kw_only=True)
class RestoreRequest:
    """What the user asked for; ``mode`` is "at", "undelete" or "since"."""

    mode: str
    at: AtTime | AtFileId | None = None
    since_ms: int = 0
    target: Path | None = None
    in_place: bool = False
    force: bool = False
    dry_run: bool = False
    allow_unverified: bool = False


class Remote:
    """An authorized client and the buckets of the folders; a context manager."""

    def __init__(self, config: Config, *, need: frozenset[str]) -> None:
        self._stack = contextlib.ExitStack()
        self._need = need
        self._buckets: dict[str, Bucket] = {}
        try:
            realm, s3_url = config.b2.realm, None
            if realm == EMBEDDED_REALM:
                emulator = start_embedded(config)
                self._stack.callback(emulator.stop)
                realm, s3_url = emulator.base_url, emulator.s3_url
            # metered: restores keep to [b2] bandwidth_limit like every transfer
            http = make_http_client(config.b2, meter=CallMeter())
            self.client: RemoteClient = build_remote(
                config.b2,
                realm_url=realm,
                s3_url=s3_url,
                http=http,
                clock=SystemClock(),
                rng=random.Random(),
                policies=write_policies(config),
            )
            self._stack.callback(self.client.close)
            self.client.authorize()
        except BaseException:
            self._stack.close()
            raise

    def bucket(self, folder: FolderConfig) -> Bucket:
        """The folder's bucket, once the key is known to reach its prefix."""
        if folder.name not in self._buckets:
            self._buckets[folder.name] = self.client.check_access(
                folder.bucket, folder.prefix, need=self._need
            )
        return self._buckets[folder.name]

    def __enter__(self) -> Remote:
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()


def list_rows(
    config: Config,
    path: str,
    *,
    versions: bool,
    deleted: bool,
    at_ms: int | None,
    cached: bool = False,
) -> list[LsRow]:
    """The rows of ``syncd ls`` for one PATH; ``cached`` reads the journal's remote
    index (as of its last walk plus syncd's own writes) and makes no B2 call."""
    sel = select(config, path)
    prefix = sel.folder.prefix
    if cached:
        return _cached_rows(config, sel, versions=versions, deleted=deleted, at_ms=at_ms)
    with Remote(config, need=READ_CAPABILITIES) as remote:
        bucket = remote.bucket(sel.folder)
        listing = remote.client.iter_versions(bucket, prefix + sel.sub)
        return _rows(listing, sel, versions=versions, deleted=deleted, at_ms=at_ms)


def _rows(
    listing: Iterator[FileVersion],
    sel: Selection,
    *,
    versions: bool,
    deleted: bool,
    at_ms: int | None,
) -> list[LsRow]:
    prefix = sel.folder.prefix
    pairs = (
        (h.name[len(prefix) :], h)
        for h in histories(listing)
        if _in_selection(h.name, prefix, sel.sub)
    )
    return list(ls_rows(pairs, versions=versions, deleted=deleted, at_ms=at_ms))


def _cached_rows(
    config: Config, sel: Selection, *, versions: bool, deleted: bool, at_ms: int | None
) -> list[LsRow]:
    path = state_path(config, JOURNAL_NAME)
    if not path.exists():
        raise UsageError("--cached: nothing was ever synced from this state dir")
    with Journal.open(path, clock=SystemClock()) as journal:
        walk = journal.remote.walk(sel.folder.name)
        if walk is None or walk.last_finished_ms == 0:
            raise UsageError(
                f"--cached: B2 was never listed for {sel.folder.name!r}; "
                "run without --cached, or run `syncd sync-now --reconcile` first"
            )
        listing = journal.remote.iter_versions(sel.folder.name, sel.folder.prefix + sel.sub)
        return _rows(listing, sel, versions=versions, deleted=deleted, at_ms=at_ms)


def _in_selection(name: str, prefix: str, sub: str) -> bool:
    rest = name[len(prefix) :]
    return name.startswith(prefix) and (not sub or rest == sub or rest.startswith(sub + "/"))


def make_plan(remote: Remote, sel: Selection, request: RestoreRequest) -> RestorePlan:
    """List the selection on B2 and choose a version per name."""
    bucket = remote.bucket(sel.folder)
    prefix = sel.folder.prefix
    if isinstance(request.at, AtFileId):
        version = remote.client.get_file_info(request.at.file_id)
        if version.bucket_id != bucket.bucket_id:
            raise UsageError(
                f"{request.at.file_id} is not in the bucket of {sel.folder.name!r} "
                f"({sel.folder.bucket})"
            )
        if not _in_selection(version.file_name, prefix, sel.sub):
            raise UsageError(f"{request.at.file_id} is {version.file_name!r}, not under the PATH")
        same_name = remote.client.iter_versions(bucket, version.file_name)
        return plan_restore(same_name, prefix, sel.sub, one_version(version))
    listing = remote.client.iter_versions(bucket, prefix + sel.sub)
    if request.mode == "undelete":
        return plan_restore(listing, prefix, sel.sub, deleted_now())
    if request.mode == "since":
        return plan_restore(listing, prefix, sel.sub, undo_window(request.since_ms))
    at_ms = request.at.ms if isinstance(request.at, AtTime) else None
    return plan_restore(listing, prefix, sel.sub, at_time(at_ms))


def restore(
    config: Config,
    paths: list[str],
    request: RestoreRequest,
    *,
    now: datetime,
    progress: ProgressHook | None = None,
) -> tuple[RestoreOutcome, Path | None]:
    """Run a restore of every PATH; return the merged outcome and the target used
    (None in place)."""
    selections = [select(config, p) for p in paths]
    in_place = request.in_place or request.mode in ("undelete", "since")
    if in_place and request.target is not None:
        raise UsageError("--to and --in-place exclude each other")
    target = None if in_place else (request.target or default_target(now))
    if request.target is not None:
        check_to(request.target)
    need = WRITE_CAPABILITIES if in_place and not request.dry_run else READ_CAPABILITIES
    total = RestoreOutcome(dry_run=request.dry_run)
    with contextlib.ExitStack() as stack:
        journal: Journal | None = None
        if in_place and not request.dry_run:
            stack.enter_context(lock_state(config))
            journal = stack.enter_context(
                Journal.open(state_path(config, JOURNAL_NAME), clock=SystemClock())
            )
        remote = stack.enter_context(Remote(config, need=need))
        if target is not None and request.target is None and not request.dry_run:
            make_default_target(target)
        for sel in selections:
            the_plan = make_plan(remote, sel, request)
            if request.mode == "at" and not (the_plan.items or the_plan.refused or the_plan.kept):
                what = f"{sel.folder.name}/{sel.sub}".rstrip("/")
                total.failed.append(Note(name=what, reason="B2 holds nothing here at that time"))
                continue
            root = sel.folder.path if target is None else target / sel.folder.name
            after = None
            if journal is not None:
                after = InPlaceRecorder(
                    remote.client, journal, sel.folder, remote.bucket(sel.folder)
                )
            try:
                opened = TargetDir(
                    root,
                    write=not request.dry_run,
                    create=target is not None,
                    sync_each=target is None,  # in place, each file is indexed once placed
                )
            except LocalAccessError as exc:
                total.failed.append(Note(name=sel.folder.name, reason=str(exc)))
                continue
            with opened as target_dir:
                restorer = Restorer(
                    remote.client,
                    target_dir,
                    in_place=in_place,
                    force=request.force,
                    allow_unverified=request.allow_unverified,
                    after_place=after,
                    progress=progress,
                    workers=config.sync.workers,
                )
                _merge(total, restorer.run(the_plan, dry_run=request.dry_run), sel.folder.name)
    return total, target


def _merge(total: RestoreOutcome, part: RestoreOutcome, folder: str) -> None:
    """Add one folder's outcome to the total; notes name the folder."""

    def notes(src: list[Note]) -> list[Note]:
        return [Note(name=f"{folder}/{n.name}", reason=n.reason) for n in src]

    total.restored += [replace(i, folder=folder) for i in part.restored]
    total.unchanged += [replace(i, folder=folder) for i in part.unchanged]
    total.conflicts += notes(part.conflicts)
    total.failed += notes(part.failed)
    total.refused += notes(part.refused)
    total.kept += notes(part.kept)
    total.restored_bytes += part.restored_bytes
    total.remote_unavailable = total.remote_unavailable or part.remote_unavailable
