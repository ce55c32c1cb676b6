"""``syncd doctor``'s host checks: inotify watches needed vs the limit, free disk in the
state dir, and the service unit when one is installed.

Imports ``syncd.config``, ``syncd.service``, the watch filters and the app's
``doctor``. The inotify check counts the directories the watcher would watch (excluded
ones are skipped, as the scanner skips them) against ``fs.inotify.max_user_watches``.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable, Mapping
from pathlib import Path

from syncd.app.doctor import FAIL, OK, SKIP, WARN, Check
from syncd.config import Config, FolderConfig
from syncd.service import (
    Platform,
    build_spec,
    default_unit_dir,
    installed_program,
    read_status,
    run_command,
    this_platform,
)
from syncd.watch.filters import Filters

MAX_WATCHES = Path("/proc/sys/fs/inotify/max_user_watches")
WATCH_HEADROOM = 0.8  # warn when the folders need more than this share of the limit
MIN_FREE_BYTES = 1 << 30
SYSCTL_FILE = "/etc/sysctl.d/90-syncd.conf"


def host_checks(config: Config, *, unit_dirs: Mapping[bool, Path] | None = None) -> list[Check]:
    """The inotify, disk and service checks; ``unit_dirs`` (is_user -> directory)
    replaces the service manager's unit directories (then it is not asked)."""
    return [*_inotify(config), _disk(config), *_service(config, unit_dirs)]


def count_dirs(folder: FolderConfig) -> int:
    """Directories the watcher would watch under ``folder`` (its root included)."""
    filters = Filters.of(folder)
    root_dev = os.stat(folder.path).st_dev
    count, stack = 0, [(str(folder.path), "")]
    while stack:
        abs_dir, rel_dir = stack.pop()
        count += 1
        try:
            entries = list(os.scandir(abs_dir))
        except OSError:
            continue
        if filters.exclude_if_present and any(
            e.name == filters.exclude_if_present for e in entries
        ):
            continue
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                if not entry.is_dir(follow_symlinks=False) or filters.excluded(rel, is_dir=True):
                    continue
                if folder.one_file_system and entry.stat(follow_symlinks=False).st_dev != root_dev:
                    continue
            except OSError:
                continue
            stack.append((entry.path, rel))
    return count


def _inotify(config: Config) -> Iterable[Check]:
    try:
        limit = int(MAX_WATCHES.read_text().strip())
    except (OSError, ValueError):
        yield Check(name="inotify", status=SKIP, detail="no inotify here (not Linux)")
        return
    needed = sum(count_dirs(folder) for folder in config.folders)
    detail = f"{needed} directories to watch, fs.inotify.max_user_watches = {limit}"
    if needed <= limit * WATCH_HEADROOM:
        yield Check(name="inotify", status=OK, detail=detail)
        return
    want = max(needed * 2, 524288)
    fix = (
        f"sudo sysctl fs.inotify.max_user_watches={want} && "
        f"echo fs.inotify.max_user_watches={want} | sudo tee {SYSCTL_FILE}"
    )
    status = FAIL if needed > limit else WARN
    note = "" if status == FAIL else " (other programs share the limit)"
    yield Check(name="inotify", status=status, detail=detail + note, fix=fix)


def _disk(config: Config) -> Check:
    directory = config.state.dir if config.state.dir.exists() else config.state.dir.parent
    free = shutil.disk_usage(directory).free
    detail = f"{free / (1 << 30):.1f} GiB free in {directory}"
    if free < MIN_FREE_BYTES:
        return Check(name="state_disk", status=WARN, detail=detail, fix="free space there")
    return Check(name="state_disk", status=OK, detail=detail)


def _service(config: Config, unit_dirs: Mapping[bool, Path] | None) -> Iterable[Check]:
    platform = this_platform()
    home = Path.home()
    found_any = False
    for is_user in (False, True):
        if platform is Platform.LAUNCHD and not is_user:
            continue
        spec = build_spec(
            config, platform=platform, program=installed_program(), home=home,
            is_user=is_user, uid=os.getuid(),
        )  # fmt: skip
        if unit_dirs is None:
            unit_dir = default_unit_dir(platform, is_user=is_user, home=home, environ=os.environ)
        elif is_user in unit_dirs:
            unit_dir = unit_dirs[is_user]
        else:
            continue
        if not read_status(spec, unit_dir, None).is_installed:
            continue
        found = read_status(spec, unit_dir, run_command if unit_dirs is None else None)
        found_any = True
        where = f"{found.unit} ({'user' if is_user else 'system'})"
        if found.state in ("failed",):
            yield Check(
                name="service",
                status=FAIL,
                detail=f"{where}: {found.state}",
                fix=f"journalctl {'--user ' if is_user else ''}-u {found.unit} -n 50",
            )
        elif not found.is_current:
            yield Check(
                name="service",
                status=WARN,
                detail=f"{where}: installed but outdated ({found.state})",
                fix="syncd service install" + (" --user" if is_user else ""),
            )
        else:
            yield Check(name="service", status=OK, detail=f"{where}: {found.state}")
    if not found_any:
        yield Check(name="service", status=SKIP, detail="not installed as a service")
