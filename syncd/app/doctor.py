"""``syncd doctor``: check what syncd needs, one line per check (ok / warn / fail), with
the command that fixes a problem.

Imports ``syncd.config``, ``syncd.errors``, ``syncd.journal.peek`` and the app's
``files`` and ``doctor_*`` modules. Local checks live here; the B2 and clock checks in
``doctor_remote``, the host checks (inotify, disk, service) in ``doctor_host``. Each
check is a function that returns ``Check`` values and never raises for what it checks.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from syncd.app.files import JOURNAL_NAME, state_path
from syncd.config import Config, load_config
from syncd.errors import ConfigError, JournalError
from syncd.journal.peek import JournalPeek

OK, WARN, FAIL, SKIP = "ok", "warn", "fail", "skip"


@dataclass(frozen=True, slots=True, kw_only=True)
class Check:
    """One finding: its name, its status, what was found, how to fix it."""

    name: str
    status: str  # ok | warn | fail | skip
    detail: str
    fix: str = ""

    def as_json(self) -> dict[str, Any]:
        """Plain data for ``--json``."""
        return asdict(self)


def run_doctor(
    config_path: Path, *, offline: bool, environ: Mapping[str, str] | None = None
) -> list[Check]:
    """Every check, in order; stops after the config check when the config is bad."""
    from syncd.app import doctor_host, doctor_remote  # noqa: PLC0415 (httpx only here)

    env = os.environ if environ is None else environ
    checks = [_config_permissions(config_path)]
    try:
        config = load_config(config_path, environ=env, resolve_key=False)
    except ConfigError as exc:
        return [*checks, Check(name="config", status=FAIL, detail=str(exc))]
    checks.append(Check(name="config", status=OK, detail=f"{len(config.folders)} folder(s)"))
    key = list(_key(config_path, config, env))
    checks += key
    checks += _state_dir(config)
    checks += _journal(config)
    checks += _folders(config)
    checks += doctor_host.host_checks(config)
    if offline:
        checks.append(Check(name="b2", status=SKIP, detail="--offline: B2 not asked"))
    elif any(c.status != OK for c in key):
        checks.append(Check(name="b2", status=SKIP, detail="no key readable here"))
    else:
        checks += doctor_remote.remote_checks(load_config(config_path, environ=env))
    return checks


def _config_permissions(path: Path) -> Check:
    try:
        st = path.stat()
    except OSError as exc:
        return Check(name="config_file", status=FAIL, detail=f"{path}: {exc.strerror}")
    if st.st_mode & 0o022:
        mode = stat.S_IMODE(st.st_mode)
        return Check(
            name="config_file",
            status=WARN,
            detail=f"{path} is writable by group or others (mode {mode:04o})",
            fix=f"chmod go-w {path}",
        )
    return Check(name="config_file", status=OK, detail=str(path))


def _key(config_path: Path, config: Config, env: Mapping[str, str]) -> Iterable[Check]:
    source = config.b2.key_source
    try:
        load_config(config_path, environ=env)  # reads the key: file mode, env, credential
    except ConfigError as exc:
        if source.startswith("credential:") and not env.get("CREDENTIALS_DIRECTORY"):
            detail = f"{source}: only the service can read it (systemd LoadCredential=)"
            yield Check(name="key", status=WARN, detail=detail)
            return
        yield Check(name="key", status=FAIL, detail=f"{source}: {exc}")
        return
    detail = f"{source} (the key itself is never shown)"
    if source.startswith("file:"):
        key_file = Path(source.removeprefix("file:"))
        if key_file.stat().st_uid != os.getuid():
            yield Check(
                name="key",
                status=WARN,
                detail=f"{key_file} belongs to another user",
                fix=f"chown {os.getuid()} {key_file}",
            )
            return
        detail = f"{source}, mode 0600"
    yield Check(name="key", status=OK, detail=detail)


def _state_dir(config: Config) -> Iterable[Check]:
    directory = config.state.dir
    if not directory.exists():
        yield Check(name="state_dir", status=OK, detail=f"{directory} (created at first start)")
        return
    try:
        with tempfile.NamedTemporaryFile(dir=directory, prefix=".syncd-doctor-"):
            pass
    except OSError as exc:
        yield Check(
            name="state_dir",
            status=FAIL,
            detail=f"{directory} is not writable: {exc.strerror}",
            fix=f"chown -R $(id -u) {directory}",
        )
        return
    mode = stat.S_IMODE(directory.stat().st_mode)
    if mode & 0o077:
        yield Check(
            name="state_dir",
            status=WARN,
            detail=f"{directory} is open to group or others (mode {mode:04o})",
            fix=f"chmod 700 {directory}",
        )
        return
    yield Check(name="state_dir", status=OK, detail=f"{directory} writable")


def _journal(config: Config) -> Iterable[Check]:
    path = state_path(config, JOURNAL_NAME)
    if not path.exists():
        yield Check(name="journal", status=OK, detail="none yet (created at first start)")
        return
    try:
        with JournalPeek(path) as peek:
            found = peek.quick_check()
            version = peek.schema_version()
    except JournalError as exc:
        yield Check(name="journal", status=FAIL, detail=str(exc), fix=_MOVE_ASIDE.format(path))
        return
    if found != ["ok"]:
        yield Check(
            name="journal",
            status=FAIL,
            detail=f"quick_check: {'; '.join(found)}",
            fix=_MOVE_ASIDE.format(path),
        )
        return
    yield Check(name="journal", status=OK, detail=f"quick_check ok, schema v{version}")


_MOVE_ASIDE = (
    "stop syncd, move {0}* aside; the next start re-adopts what B2 holds (docs/reliability.md)"
)


def _folders(config: Config) -> Iterable[Check]:
    for folder in config.folders:
        if not os.access(folder.path, os.R_OK | os.X_OK):
            yield Check(
                name=f"folder:{folder.name}",
                status=FAIL,
                detail=f"{folder.path} cannot be read by this user",
            )
            continue
        yield Check(
            name=f"folder:{folder.name}",
            status=OK,
            detail=f"{folder.path} -> b2://{folder.bucket}/{folder.prefix}",
        )
