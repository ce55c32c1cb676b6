"""Service integration: systemd units and the launchd agent for this installation.

Imports ``syncd.config`` and ``syncd.errors``. Renderers (``systemd``, ``launchd``)
and the planner (``plan``) are pure; ``apply`` and ``status`` are the thin effect
layer that writes files and runs systemctl or launchctl through a runner.
"""

from syncd.service.apply import (
    Ran,
    Runner,
    apply_install,
    apply_uninstall,
    read_current,
    run_command,
)
from syncd.service.host import (
    default_config_path,
    default_unit_dir,
    installed_program,
    this_platform,
)
from syncd.service.plan import plan_install, plan_uninstall, render, unit_paths
from syncd.service.spec import (
    CREDENTIAL_NAME,
    LAUNCHD_LABEL,
    Change,
    Command,
    InstallPlan,
    PlannedFile,
    Platform,
    ServiceSpec,
    UninstallPlan,
    UnitFile,
    build_spec,
    default_key_path,
)
from syncd.service.status import ServiceStatus, read_status

__all__ = [
    "CREDENTIAL_NAME",
    "LAUNCHD_LABEL",
    "Change",
    "Command",
    "InstallPlan",
    "PlannedFile",
    "Platform",
    "Ran",
    "Runner",
    "ServiceSpec",
    "ServiceStatus",
    "UninstallPlan",
    "UnitFile",
    "apply_install",
    "apply_uninstall",
    "build_spec",
    "default_config_path",
    "default_key_path",
    "default_unit_dir",
    "installed_program",
    "plan_install",
    "plan_uninstall",
    "read_current",
    "read_status",
    "render",
    "run_command",
    "this_platform",
    "unit_paths",
]
