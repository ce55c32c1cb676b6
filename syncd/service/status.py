"""Is the service installed, is the installed unit the one install would write now,
and what does the service manager say about it.

Imports the sibling modules. Reads the unit files; asks systemctl or launchctl only
through the runner it is given.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from syncd.service.apply import Runner, read_current
from syncd.service.plan import render
from syncd.service.spec import Platform, ServiceSpec

NOT_QUERIED = "not queried"
UNKNOWN = "unknown"
_LAUNCHD_STATE = re.compile(r"^\s*state = (\S+)", re.MULTILINE)


@dataclass(frozen=True, slots=True, kw_only=True)
class ServiceStatus:
    """What ``syncd service status`` reports."""

    platform: str
    unit: str
    paths: tuple[Path, ...]
    is_installed: bool
    is_current: bool  # the files are exactly what install would write now
    state: str  # from the service manager: active, inactive, failed, running, ...

    def as_dict(self) -> dict[str, object]:
        """A JSON-ready mapping."""
        return {
            "platform": self.platform,
            "unit": self.unit,
            "paths": [str(p) for p in self.paths],
            "installed": self.is_installed,
            "current": self.is_current,
            "state": self.state,
        }


def read_status(spec: ServiceSpec, unit_dir: Path, run: Runner | None) -> ServiceStatus:
    """Compare the unit files with a fresh rendering; ask the manager when ``run`` is given."""
    rendered = {unit_dir / f.name: f.text for f in render(spec)}
    current = read_current(rendered)
    return ServiceStatus(
        platform=spec.platform.value,
        unit=spec.unit_name,
        paths=tuple(rendered),
        is_installed=all(text is not None for text in current.values()),
        is_current=current == rendered,
        state=NOT_QUERIED if run is None else _manager_state(spec, run),
    )


def _manager_state(spec: ServiceSpec, run: Runner) -> str:
    if spec.platform is Platform.LAUNCHD:
        ran = run(("launchctl", "print", f"gui/{spec.uid}/{spec.unit_name}"))
        if ran.returncode != 0:
            return "not loaded"
        found = _LAUNCHD_STATE.search(ran.stdout)
        return found.group(1) if found else "loaded"
    ctl = ("systemctl", "--user") if spec.is_user else ("systemctl",)
    ran = run((*ctl, "is-active", spec.unit_name))
    word = ran.stdout.strip()
    # is-active exits 3 for inactive/failed and still prints the state.
    if ran.returncode in (0, 3) and word and " " not in word:
        return word
    return UNKNOWN
