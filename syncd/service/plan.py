"""Plan an install or an uninstall: which files change and which commands run.

Imports the sibling renderers and ``spec``. Pure: what is on disk now comes in as a
mapping, so ``--print`` and the tests see exactly what install would do.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from syncd.service.launchd import render_launchd
from syncd.service.spec import (
    Change,
    Command,
    InstallPlan,
    PlannedFile,
    Platform,
    ServiceSpec,
    UninstallPlan,
    UnitFile,
)
from syncd.service.systemd import render_systemd


def render(spec: ServiceSpec) -> tuple[UnitFile, ...]:
    """The files for ``spec`` on its platform."""
    if spec.platform is Platform.LAUNCHD:
        return render_launchd(spec)
    return render_systemd(spec)


def unit_paths(spec: ServiceSpec, unit_dir: Path) -> tuple[Path, ...]:
    """Where the files for ``spec`` go under ``unit_dir``."""
    return tuple(unit_dir / f.name for f in render(spec))


def plan_install(
    spec: ServiceSpec, unit_dir: Path, current: Mapping[Path, str | None], *, start: bool
) -> InstallPlan:
    """Files to write (compared with ``current``) and the commands that start the service."""
    files = []
    for unit in render(spec):
        path = unit_dir / unit.name
        now = current.get(path)
        if now is None:
            change = Change.NEW
        elif now == unit.text:
            change = Change.UNCHANGED
        else:
            change = Change.CHANGED
        files.append(PlannedFile(path=path, text=unit.text, change=change))
    dirs = sorted({f.path.parent for f in files})
    if spec.platform is Platform.LAUNCHD:
        dirs.append(spec.log_path.parent)
    plan = InstallPlan(dirs=tuple(dirs), files=tuple(files), commands=())
    if not start:
        return plan
    start_commands = _launchd_start if spec.platform is Platform.LAUNCHD else _systemd_start
    return InstallPlan(dirs=plan.dirs, files=plan.files, commands=start_commands(spec, plan))


def plan_uninstall(
    spec: ServiceSpec, unit_dir: Path, present: frozenset[Path], *, stop: bool
) -> UninstallPlan:
    """Stop and disable the service, remove its files (a template stays for other instances)."""
    paths = unit_paths(spec, unit_dir)
    if spec.is_template:
        paths = paths[1:]  # the instance's drop-in only
    remove = tuple(p for p in paths if p in present)
    if not stop:
        return UninstallPlan(before=(), remove=remove, after=())
    if spec.platform is Platform.LAUNCHD:
        bootout = ("launchctl", "bootout", f"gui/{spec.uid}/{spec.unit_name}")
        return UninstallPlan(
            before=(Command(argv=bootout, may_fail=True),), remove=remove, after=()
        )
    ctl = _systemctl(spec)
    return UninstallPlan(
        before=(Command(argv=(*ctl, "disable", "--now", spec.unit_name), may_fail=True),),
        remove=remove,
        after=(Command(argv=(*ctl, "daemon-reload")),) if remove else (),
    )


def _systemctl(spec: ServiceSpec) -> tuple[str, ...]:
    return ("systemctl", "--user") if spec.is_user else ("systemctl",)


def _systemd_start(spec: ServiceSpec, plan: InstallPlan) -> tuple[Command, ...]:
    ctl = _systemctl(spec)
    if not plan.is_changed:
        # Still reload: an earlier run may have written the unit and then failed to reload.
        return (
            Command(argv=(*ctl, "daemon-reload")),
            Command(argv=(*ctl, "enable", "--now", spec.unit_name)),
        )
    # restart, not start: a running syncd must pick up the new unit.
    return (
        Command(argv=(*ctl, "daemon-reload")),
        Command(argv=(*ctl, "enable", spec.unit_name)),
        Command(argv=(*ctl, "restart", spec.unit_name)),
    )


def _launchd_start(spec: ServiceSpec, plan: InstallPlan) -> tuple[Command, ...]:
    domain = f"gui/{spec.uid}"
    bootstrap = ("launchctl", "bootstrap", domain, str(plan.files[0].path))
    if not plan.is_changed:
        # Already loaded is the usual case, and launchctl reports it as a failure.
        return (Command(argv=bootstrap, may_fail=True),)
    bootout = ("launchctl", "bootout", f"{domain}/{spec.unit_name}")
    return (Command(argv=bootout, may_fail=True), Command(argv=bootstrap))
