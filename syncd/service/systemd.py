"""Render systemd units from a ServiceSpec: pure text, no disk, no systemctl.

Imports ``syncd.service.spec``. A system unit, a user unit, or the ``syncd@.service``
template plus one drop-in per instance (its writable paths come from its config).
"""

from __future__ import annotations

import re
from pathlib import Path

from syncd.service.spec import CREDENTIAL_NAME, ServiceSpec, UnitFile

_PLAIN = re.compile(r"[A-Za-z0-9_@+=:,./-]+")
DROPIN_NAME = "50-syncd-paths.conf"

_HARDENING = """\
# Everything is read-only but the ReadWritePaths= (here, or in a template instance's
# drop-in): syncd writes its journal into the state dir and a .syncd-folder marker
# into each folder root.
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
PrivateDevices=yes
PrivateMounts=yes
ProtectKernelTunables=yes
ProtectKernelModules=yes
ProtectKernelLogs=yes
ProtectControlGroups=yes
ProtectClock=yes
ProtectHostname=yes
ProtectProc=invisible
ProcSubset=pid
NoNewPrivileges=yes
RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6
RestrictNamespaces=yes
RestrictRealtime=yes
RestrictSUIDSGID=yes
LockPersonality=yes
MemoryDenyWriteExecute=yes
SystemCallArchitectures=native
SystemCallFilter=@system-service
SystemCallFilter=~@privileged @resources
UMask=0077
"""

# Root without capabilities still must read every user's files.
_SYSTEM_CAPS = """\
CapabilityBoundingSet=CAP_DAC_READ_SEARCH
AmbientCapabilities=CAP_DAC_READ_SEARCH
"""
# A user manager sandboxes in a user namespace (implied by the Protect* lines); say so,
# and keep no capability in it: syncd reads only what its user can read.
_USER_CAPS = """\
PrivateUsers=yes
CapabilityBoundingSet=
"""


def unit_word(word: str, *, in_exec: bool = False) -> str:
    """One word of a unit file: specifiers and variables escaped, quoted when needed."""
    escaped = word.replace("%", "%%")
    if in_exec:
        escaped = escaped.replace("$", "$$")
    if _PLAIN.fullmatch(escaped):
        return escaped
    return '"' + escaped.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render_systemd(spec: ServiceSpec) -> tuple[UnitFile, ...]:
    """The unit files for ``spec``, named relative to the unit directory."""
    if spec.is_template:
        dropin = f"syncd@{spec.instance}.service.d/{DROPIN_NAME}"
        return (
            UnitFile(name="syncd@.service", text=_unit(spec)),
            UnitFile(name=dropin, text=_dropin(spec)),
        )
    return (UnitFile(name="syncd.service", text=_unit(spec)),)


def _unit(spec: ServiceSpec) -> str:
    program = " ".join(unit_word(w, in_exec=True) for w in spec.program)
    if spec.is_template:
        config_dir = unit_word(str(spec.config_path.parent), in_exec=True)
        config = f"{config_dir}/%i.toml"
        header = (
            "# One syncd per config: syncd@NAME runs "
            f"{spec.config_path.parent}/NAME.toml.\n"
            "# Its writable paths are in syncd@NAME.service.d/, written from that config.\n"
        )
        description = "syncd (%i): continuous backup of local folders to Backblaze B2"
    else:
        config = unit_word(str(spec.config_path), in_exec=True)
        header = f"# Written from {spec.config_path}.\n"
        description = "syncd: continuous backup of local folders to Backblaze B2"
    network = "" if spec.is_user else "After=network-online.target\nWants=network-online.target\n"
    paths = "" if spec.is_template else _read_write_paths(spec)
    caps = _USER_CAPS if spec.is_user else _SYSTEM_CAPS
    wanted_by = "default.target" if spec.is_user else "multi-user.target"
    return (
        "# syncd as a service, written by `syncd service install`; see deploy/README.md.\n"
        f"{header}"
        "# Re-run `syncd service install` after changing [state] dir or a [[folder]] path.\n"
        "# The config reads the key with key_credential = "
        f'"{CREDENTIAL_NAME}" (from $CREDENTIALS_DIRECTORY).\n'
        "[Unit]\n"
        f"Description={description}\n"
        f"{network}"
        "\n"
        "[Service]\n"
        "Type=notify\n"
        "NotifyAccess=main\n"
        f"ExecStart={program} run --config {config}\n"
        "ExecReload=/bin/kill -HUP $MAINPID\n"
        f"LoadCredential={CREDENTIAL_NAME}:{spec.key_path}\n"
        "StateDirectory=syncd\n"
        "StateDirectoryMode=0700\n"
        "# The daemon pings only while its workers are alive; a hung worker gets it restarted.\n"
        "WatchdogSec=60\n"
        "TimeoutStartSec=300\n"
        "TimeoutStopSec=60\n"
        "Restart=on-failure\n"
        "RestartSec=10\n"
        "# 78 = bad configuration: restarting cannot help.\n"
        "RestartPreventExitStatus=78\n"
        f"{_HARDENING}"
        f"{caps}"
        f"{paths}"
        "\n"
        "[Install]\n"
        f"WantedBy={wanted_by}\n"
    )


def _dropin(spec: ServiceSpec) -> str:
    return (
        f"# Written by `syncd service install` from {spec.config_path}.\n"
        "[Service]\n"
        f"{_read_write_paths(spec)}"
    )


def _read_write_paths(spec: ServiceSpec) -> str:
    """One ReadWritePaths= line per path; "-" so a missing folder is syncd's to report."""
    seen: list[Path] = []
    for path in (spec.state_dir, *spec.folder_paths):
        if path not in seen:
            seen.append(path)
    return "".join(f"ReadWritePaths={unit_word('-' + str(p))}\n" for p in seen)
