"""Facts about this machine and this installation that a unit needs.

Imports ``syncd.service.spec``. Reads ``sys``, the environment and the home
directory; writes nothing.
"""

from __future__ import annotations

import os
import sys
import sysconfig
from collections.abc import Mapping
from pathlib import Path

from syncd.service.spec import Platform


def this_platform() -> Platform:
    """launchd on macOS, systemd everywhere else."""
    return Platform.LAUNCHD if sys.platform == "darwin" else Platform.SYSTEMD


def installed_program() -> tuple[str, ...]:
    """The absolute argv that runs this syncd: its entry point, else ``python -m syncd``."""
    script = Path(sysconfig.get_path("scripts")) / "syncd"
    if script.is_file() and os.access(script, os.X_OK):
        return (str(script.absolute()),)
    return (str(Path(sys.executable).absolute()), "-m", "syncd")


def default_unit_dir(
    platform: Platform, *, is_user: bool, home: Path, environ: Mapping[str, str]
) -> Path:
    """Where the service manager looks for units of this kind."""
    if platform is Platform.LAUNCHD:
        return home / "Library" / "LaunchAgents"
    if not is_user:
        return Path("/etc/systemd/system")
    return _config_home(home, environ) / "systemd" / "user"


def default_config_path(
    platform: Platform, *, is_user: bool, home: Path, environ: Mapping[str, str]
) -> Path:
    """The config the docs put in place: /etc/syncd, ~/.config/syncd, Application Support."""
    if platform is Platform.LAUNCHD:
        return home / "Library" / "Application Support" / "syncd" / "syncd.toml"
    if not is_user:
        return Path("/etc/syncd/syncd.toml")
    return _config_home(home, environ) / "syncd" / "syncd.toml"


def _config_home(home: Path, environ: Mapping[str, str]) -> Path:
    value = environ.get("XDG_CONFIG_HOME", "")
    return Path(value) if value.startswith("/") else home / ".config"
