"""``syncd quickstart``: try syncd in one command, with no account: a demo folder and
config, synced to the embedded emulator, a change, the file's versions, and the old
version restored beside the new one.

Imports the app's ``build``, ``status``, ``versions`` and ``restore`` and
``syncd.config``. Everything lives under one directory (a new temporary one unless
given), which the user can keep exploring with the commands it prints.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from syncd.app.build import build, lock_state
from syncd.app.restore import RestoreRequest, restore
from syncd.app.status import read_status
from syncd.app.versions import version_history
from syncd.config import load_config
from syncd.engine import AtFileId
from syncd.errors import UsageError

CONFIG_NAME = "syncd.toml"
CHANGED = Path("notes") / "todo.txt"
DEMO_FILES = {
    Path("README.txt"): "This folder is backed up by syncd.\n",
    CHANGED: "- try syncd\n",
    Path("data") / "numbers.csv": "n,square\n" + "".join(f"{n},{n * n}\n" for n in range(100)),
}
Say = Callable[[str], None]


def prepare(directory: Path | None) -> Path:
    """The quickstart directory: ``directory`` (absent or empty) or a new temporary one.

    Raises:
        UsageError: ``directory`` exists and is not empty.
    """
    if directory is None:
        return Path(tempfile.mkdtemp(prefix="syncd-quickstart-"))
    directory = directory.absolute()
    if directory.exists() and any(directory.iterdir()):
        raise UsageError(f"{directory} is not empty; name a new directory")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def write_demo(directory: Path) -> Path:
    """The demo folder, its files and a config for the embedded realm; return the config."""
    folder = directory / "folder"
    for rel, text in DEMO_FILES.items():
        (folder / rel).parent.mkdir(parents=True, exist_ok=True)
        (folder / rel).write_text(text)
    (directory / "state").mkdir(mode=0o700)
    config = directory / CONFIG_NAME
    config.write_text(
        "# syncd quickstart: the embedded realm runs a B2-compatible server inside syncd,\n"
        "# with its data under [state].dir. For B2, see config.example.toml.\n"
        f'[b2]\nrealm = "embedded"\n\n[state]\ndir = "{directory / "state"}"\n\n'
        f'[log]\nlevel = "warning"\n\n[[folder]]\npath = "{folder}"\n'
        'bucket = "quickstart-bucket"\nprefix = "demo/"\n'
    )
    return config


def run_quickstart(directory: Path | None, say: Say) -> Path:
    """Every step, told through ``say``; return the directory used."""
    directory = prepare(directory)
    config_path = write_demo(directory)
    config = load_config(config_path)
    say(f"1. demo folder {directory / 'folder'} ({len(DEMO_FILES)} files), config {config_path}")
    _sync(config_path, say, "2. first sync")
    folder = read_status(config).folders[0]
    say(
        f"3. status: {folder.files_on_b2} files on B2, {folder.pending} pending, "
        f"state {folder.state}"
    )
    changed = config.folders[0].path / CHANGED
    changed.write_text(DEMO_FILES[CHANGED] + "- change a file\n")
    _sync(config_path, say, f"4. changed {CHANGED}, synced again")
    versions = version_history(config, changed).versions
    say(f"5. history of {CHANGED}: {len(versions)} versions on B2")
    for v in versions:
        mark = " (current)" if v.is_current else ""
        say(f"     {datetime.fromtimestamp(v.uploaded_ms / 1000, UTC):%H:%M:%S} UTC "
            f"{v.size} bytes {v.file_id[:24]}...{mark}")  # fmt: skip
    target = directory / "restored"
    request = RestoreRequest(mode="at", at=AtFileId(versions[-1].file_id), target=target)
    restore(config, [f"{config.folders[0].name}/{CHANGED.as_posix()}"], request,
            now=datetime.now(UTC))  # fmt: skip
    old = target / config.folders[0].name / CHANGED
    say(f"6. the first version restored to {old}:")
    say("     " + old.read_text().replace("\n", "\n     ").rstrip())
    return directory


def _sync(config_path: Path, say: Say, what: str) -> None:
    config = load_config(config_path)
    with lock_state(config), build(config, immediate=True) as app:
        app.start()
        report = app.run_once()
    say(f"{what}: uploaded {report.uploaded_files} file(s), {report.uploaded_bytes} bytes")
