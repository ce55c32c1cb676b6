"""Carry out a plan: write unit files atomically, remove them, run the service manager.

Imports ``syncd.service.spec`` and ``syncd.errors``. The only part of
``syncd.service`` that touches the disk or runs systemctl or launchctl; the command
runner is a parameter so tests never start a real service.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from syncd.errors import ServiceError
from syncd.service.spec import Change, Command, InstallPlan, UninstallPlan

COMMAND_TIMEOUT_S = 120.0
UNIT_MODE = 0o644


@dataclass(frozen=True, slots=True, kw_only=True)
class Ran:
    """The outcome of one command."""

    returncode: int
    stdout: str
    stderr: str


Runner = Callable[[Sequence[str]], Ran]


def run_command(argv: Sequence[str]) -> Ran:
    """Run ``argv`` without a shell; a missing program is exit 127, like a shell says."""
    try:
        proc = subprocess.run(  # noqa: S603 (argv built from fixed words and our own paths)
            list(argv), capture_output=True, text=True, check=False, timeout=COMMAND_TIMEOUT_S
        )
    except FileNotFoundError:
        return Ran(returncode=127, stdout="", stderr=f"{argv[0]}: command not found")
    except subprocess.TimeoutExpired:
        return Ran(returncode=124, stdout="", stderr=f"timed out after {COMMAND_TIMEOUT_S:.0f} s")
    return Ran(returncode=proc.returncode, stdout=proc.stdout, stderr=proc.stderr)


def read_current(paths: Iterable[Path]) -> dict[Path, str | None]:
    """The text of each file now, None where there is none."""
    current: dict[Path, str | None] = {}
    for path in paths:
        try:
            current[path] = path.read_text(encoding="utf-8")
        except FileNotFoundError:
            current[path] = None
        except (OSError, UnicodeDecodeError) as exc:
            raise ServiceError(f"{path}: cannot read: {exc}") from exc
    return current


def apply_install(plan: InstallPlan, run: Runner) -> None:
    """Create the directories, write the files that differ, then run the commands."""
    for directory in plan.dirs:
        try:
            directory.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ServiceError(f"{directory}: cannot create: {exc.strerror}") from exc
    for planned in plan.files:
        if planned.change is not Change.UNCHANGED:
            _write(planned.path, planned.text)
    run_all(plan.commands, run)


def apply_uninstall(plan: UninstallPlan, run: Runner) -> None:
    """Stop the service, remove its files (and an emptied drop-in dir), reload."""
    run_all(plan.before, run)
    for path in plan.remove:
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            raise ServiceError(f"{path}: cannot remove: {exc.strerror}") from exc
        if path.parent.name.endswith(".service.d"):
            with contextlib.suppress(OSError):  # not empty: other drop-ins stay
                path.parent.rmdir()
    run_all(plan.after, run)


def run_all(commands: Sequence[Command], run: Runner) -> None:
    """Run each command in order; one that must succeed and fails stops with one line."""
    for command in commands:
        ran = run(command.argv)
        if ran.returncode != 0 and not command.may_fail:
            detail = (ran.stderr.strip() or ran.stdout.strip()).splitlines()
            last = detail[-1] if detail else "no output"
            raise ServiceError(f"`{' '.join(command.argv)}` failed (exit {ran.returncode}): {last}")


def _write(path: Path, text: str) -> None:
    """Write via a temporary file and rename, so a reader never sees half a unit."""
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.chmod(tmp, UNIT_MODE)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ServiceError(f"{path}: cannot write: {exc.strerror}") from exc
