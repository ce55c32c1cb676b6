"""`syncd service` end to end, into a temp unit dir with no systemctl or launchctl run."""

from __future__ import annotations

import json
import os
import plistlib
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parents[3]


def syncd(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run this checkout's syncd; the environment has no $CREDENTIALS_DIRECTORY."""
    base = {k: v for k, v in os.environ.items() if k != "CREDENTIALS_DIRECTORY"}
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True,
        text=True,
        env={**base, **(env or {})},
        check=False,
        cwd=ROOT,
        timeout=60,
    )


@pytest.fixture
def config(tmp_path: Path) -> Path:
    """A config with two folders whose key comes from the systemd credential."""
    for name in ("data", "photos"):
        (tmp_path / name).mkdir()
    path = tmp_path / "web1.toml"
    path.write_text(
        f"""
[b2]
key_id = "kid"
key_credential = "b2-key"
[state]
dir = "{tmp_path / "state"}"
[[folder]]
path = "{tmp_path / "data"}"
bucket = "my-bucket"
[[folder]]
path = "{tmp_path / "photos"}"
bucket = "my-bucket"
prefix = "photos/"
"""
    )
    return path


def test_install_is_idempotent(config: Path, tmp_path: Path) -> None:
    """Install writes the unit from the config; the second run reports it unchanged."""
    units = tmp_path / "units"
    args = ("service", "install", "--platform", "systemd", "--config", str(config))
    first = syncd(*args, "--unit-dir", str(units), "--no-start")
    assert first.returncode == 0, first.stderr
    assert f"{units / 'syncd.service'}: new" in first.stdout
    text = (units / "syncd.service").read_text()
    assert f"ReadWritePaths=-{tmp_path / 'photos'}" in text
    assert f"--config {config}" in text
    second = syncd(*args, "--unit-dir", str(units), "--no-start")
    assert second.returncode == 0, second.stderr
    assert f"{units / 'syncd.service'}: unchanged" in second.stdout


def test_print_shows_files_and_commands_and_writes_nothing(config: Path, tmp_path: Path) -> None:
    """--print prints the unit text and the exact commands, and changes nothing."""
    units = tmp_path / "units"
    proc = syncd(
        "service", "install", "--platform", "systemd", "--config", str(config),
        "--unit-dir", str(units), "--print",
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert f"# file {units / 'syncd.service'} (new)" in proc.stdout
    assert "Type=notify" in proc.stdout
    assert "systemctl daemon-reload\nsystemctl enable syncd.service\n" in proc.stdout
    assert not units.exists()


def test_status_absent_then_installed(config: Path, tmp_path: Path) -> None:
    """status --json: absent exits 1; after install, installed and current, exit 0."""
    units = tmp_path / "units"
    common = ("--platform", "systemd", "--config", str(config), "--unit-dir", str(units))
    absent = syncd("service", "status", "--json", *common)
    assert absent.returncode == 1
    assert json.loads(absent.stdout)["installed"] is False
    assert syncd("service", "install", "--no-start", *common).returncode == 0
    present = syncd("service", "status", "--json", *common)
    assert present.returncode == 0, present.stderr
    found = json.loads(present.stdout)
    assert (found["installed"], found["current"], found["state"]) == (True, True, "not queried")


def test_uninstall_removes_the_unit(config: Path, tmp_path: Path) -> None:
    """uninstall --no-stop removes the unit file it finds."""
    units = tmp_path / "units"
    common = ("--platform", "systemd", "--config", str(config), "--unit-dir", str(units))
    syncd("service", "install", "--no-start", *common)
    proc = syncd("service", "uninstall", "--no-stop", *common)
    assert proc.returncode == 0, proc.stderr
    assert not (units / "syncd.service").exists()


def test_launchd_install_writes_a_valid_plist(config: Path, tmp_path: Path) -> None:
    """--platform launchd writes the agent plist with absolute paths and a log dir."""
    agents = tmp_path / "agents"
    home = tmp_path / "home"
    proc = syncd(
        "service", "install", "--platform", "launchd", "--config", str(config),
        "--unit-dir", str(agents), "--no-start",
        env={"HOME": str(home)},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    parsed = plistlib.loads((agents / "com.syncd.agent.plist").read_bytes())
    assert parsed["ProgramArguments"][-1] == str(config)
    assert Path(parsed["ProgramArguments"][0]).is_absolute()
    assert (home / "Library" / "Logs" / "syncd").is_dir()


def test_bad_config_is_one_line_and_78(tmp_path: Path) -> None:
    """install with a broken config prints one line and exits 78, never a traceback."""
    bad = tmp_path / "bad.toml"
    bad.write_text("[b2\n")
    proc = syncd(
        "service", "install", "--config", str(bad), "--unit-dir", str(tmp_path), "--no-start"
    )
    assert proc.returncode == 78
    assert proc.stderr.count("\n") == 1
    assert proc.stderr.startswith("syncd: config error:")


def test_launchd_run_turns_a_bad_config_into_exit_0(tmp_path: Path) -> None:
    """The launchd wrapper prints the config error but exits 0, so KeepAlive leaves it down."""
    proc = syncd("service", "launchd-run", "--config", str(tmp_path / "missing.toml"))
    assert proc.returncode == 0
    assert "config error" in proc.stderr
    assert "Traceback" not in proc.stderr
