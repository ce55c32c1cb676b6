"""Render the launchd agent plist from a ServiceSpec: pure text, no disk, no launchctl.

Imports ``syncd.service.spec``. launchd's KeepAlive cannot exclude one exit status:
``SuccessfulExit=false`` restarts after any non-zero exit, 78 included. So the agent
runs ``syncd service launchd-run``, which is ``syncd run`` except that a bad config
(78) prints its one line and exits 0, which KeepAlive leaves alone.
"""

from __future__ import annotations

import plistlib
from typing import Any

from syncd.service.spec import ServiceSpec, UnitFile

THROTTLE_S = 30
EXIT_TIMEOUT_S = 60  # longer than the daemon's drain budget


def render_launchd(spec: ServiceSpec) -> tuple[UnitFile, ...]:
    """The agent plist for ``spec``, named relative to ~/Library/LaunchAgents."""
    log = str(spec.log_path)
    agent: dict[str, Any] = {
        "Label": spec.unit_name,
        "ProgramArguments": [
            *spec.program,
            "service",
            "launchd-run",
            "--config",
            str(spec.config_path),
        ],
        "RunAtLoad": True,
        # Restart after a crash or a failure exit; exit 0 (stopped, or bad config) stays down.
        "KeepAlive": {"SuccessfulExit": False, "Crashed": True},
        "ThrottleInterval": THROTTLE_S,
        "ProcessType": "Background",
        "LowPriorityIO": True,
        "ExitTimeOut": EXIT_TIMEOUT_S,
        "StandardOutPath": log,
        "StandardErrorPath": log,
    }
    text = plistlib.dumps(agent, sort_keys=False).decode("utf-8")
    return (UnitFile(name=f"{spec.unit_name}.plist", text=text),)
