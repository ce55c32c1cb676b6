"""What a service installation is made of: the facts a unit is rendered from, and plans.

Imports ``syncd.config`` and ``syncd.errors``. Everything here is a value; nothing
reads the disk or runs a command.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass
from pathlib import Path

from syncd.config import Config
from syncd.errors import ServiceError

LAUNCHD_LABEL = "com.syncd.agent"
CREDENTIAL_NAME = "b2-key"  # the name the units pass and key_credential reads
_INSTANCE_RE = re.compile(r"^[A-Za-z0-9_.-]{1,200}$")


class Platform(enum.StrEnum):
    """The service manager a unit is written for."""

    SYSTEMD = "systemd"
    LAUNCHD = "launchd"


class Change(enum.StrEnum):
    """What installing one file does to the file already there."""

    NEW = "new"
    CHANGED = "changed"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceSpec:
    """Everything a unit or agent is rendered from; paths are absolute."""

    platform: Platform
    is_user: bool = False
    is_template: bool = False
    program: tuple[str, ...]  # argv that runs syncd: the entry point, or python -m syncd
    config_path: Path
    state_dir: Path
    folder_paths: tuple[Path, ...]
    key_path: str  # LoadCredential= source, in unit syntax (specifiers allowed)
    home: Path  # launchd: logs go under home/Library/Logs/syncd
    uid: int = 0  # launchd: the gui/UID domain

    @property
    def instance(self) -> str:
        """The template instance name: the config file's name without ``.toml``."""
        return self.config_path.stem

    @property
    def unit_name(self) -> str:
        """The name systemctl or launchctl knows the service by."""
        if self.platform is Platform.LAUNCHD:
            return LAUNCHD_LABEL
        return f"syncd@{self.instance}.service" if self.is_template else "syncd.service"

    @property
    def log_path(self) -> Path:
        """launchd: the file the agent's stdout and stderr go to."""
        return self.home / "Library" / "Logs" / "syncd" / "syncd.log"


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitFile:
    """One rendered file, named relative to the unit directory."""

    name: str
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PlannedFile:
    """A file install would write, and what that does to the file on disk."""

    path: Path
    text: str
    change: Change


@dataclass(frozen=True, slots=True, kw_only=True)
class Command:
    """A service-manager command; ``may_fail`` for steps whose failure is expected."""

    argv: tuple[str, ...]
    may_fail: bool = False


@dataclass(frozen=True, slots=True, kw_only=True)
class InstallPlan:
    """Directories to create, files to write, then commands to run, in order."""

    dirs: tuple[Path, ...]
    files: tuple[PlannedFile, ...]
    commands: tuple[Command, ...]

    @property
    def is_changed(self) -> bool:
        """True when at least one file is new or differs from what is installed."""
        return any(f.change is not Change.UNCHANGED for f in self.files)


@dataclass(frozen=True, slots=True, kw_only=True)
class UninstallPlan:
    """Commands that stop the service, files to remove, then commands to run."""

    before: tuple[Command, ...]
    remove: tuple[Path, ...]
    after: tuple[Command, ...]


def build_spec(
    config: Config,
    *,
    platform: Platform,
    program: tuple[str, ...],
    home: Path,
    is_user: bool = False,
    is_template: bool = False,
    key_path: str | None = None,
    uid: int = 0,
) -> ServiceSpec:
    """The spec for ``config``: its state dir and folders become the writable paths."""
    if config.source.suffix != ".toml" and is_template:
        raise ServiceError(f"{config.source}: a template instance needs a config named NAME.toml")
    if is_template and not _INSTANCE_RE.match(config.source.stem):
        raise ServiceError(
            f"{config.source}: the instance name {config.source.stem!r} must be "
            "1-200 of A-Z a-z 0-9 _ . -"
        )
    paths = (config.source, *program, str(config.state.dir), *(str(f.path) for f in config.folders))
    if any("\n" in str(p) for p in paths):
        raise ServiceError("a path holds a line break; it cannot go into a unit file")
    return ServiceSpec(
        platform=platform,
        is_user=is_user,
        is_template=is_template,
        program=program,
        config_path=config.source,
        state_dir=config.state.dir,
        folder_paths=tuple(f.path for f in config.folders),
        key_path=key_path or default_key_path(is_user=is_user, is_template=is_template),
        home=home,
        uid=uid,
    )


def default_key_path(*, is_user: bool, is_template: bool) -> str:
    """Where the unit loads the key from: /etc/syncd for the system, ~/.config for a user."""
    base = "%E/syncd" if is_user else "/etc/syncd"  # %E: $XDG_CONFIG_HOME of the user manager
    return f"{base}/%i.{CREDENTIAL_NAME}" if is_template else f"{base}/{CREDENTIAL_NAME}"
