"""``syncd doctor`` against the emulator over HTTP, a real journal and real folders."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from syncd.app import doctor_host
from syncd.app.doctor import run_doctor
from syncd.config import load_config
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.integration


def doctor(setup: Setup, *args: str) -> tuple[int, dict[str, Any]]:
    """Run ``syncd doctor --json``; return (exit code, {check name: check})."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "doctor", "--config", str(setup.config), "--json", *args],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )
    doc = json.loads(proc.stdout)
    return proc.returncode, {c["name"]: c for c in doc["checks"]}


def test_a_healthy_setup_passes_every_check(setup: Setup) -> None:
    """After a sync: config, key, journal, clock, authorization and bucket are ok; exit 0."""
    (setup.root / "a").write_text("a")
    assert sync_now(setup)[0] == 0
    setup.state.chmod(0o700)
    code, checks = doctor(setup)
    assert code == 0, checks
    for name in ("config", "key", "state_dir", "journal", "clock", "b2_auth", "bucket:folder"):
        assert checks[name]["status"] == "ok", checks[name]
    assert "quick_check ok" in checks["journal"]["detail"]
    assert setup.key not in json.dumps(checks)


def test_a_wrong_key_fails_authorization_and_offline_skips_it(setup: Setup) -> None:
    """A key B2 refuses is a failed b2_auth (exit 1); --offline does not ask B2 (exit 0)."""
    setup.extra_env["SYNCD_TEST_APPLICATION_KEY"] = "not-the-key"
    code, checks = doctor(setup)
    assert code == 1
    assert checks["b2_auth"]["status"] == "fail"
    code, checks = doctor(setup, "--offline")
    assert code == 0
    assert checks["b2"]["status"] == "skip"


def test_a_missing_bucket_fails_its_check(setup: Setup) -> None:
    """A folder whose bucket does not exist fails its bucket check with the fix."""
    setup.bucket = "no-such-bucket-here"
    write_config(setup)
    code, checks = doctor(setup)
    assert code == 1
    assert checks["bucket:folder"]["status"] == "fail"


def test_a_damaged_journal_fails_quick_check(setup: Setup) -> None:
    """A journal with garbage in its pages fails the journal check and names the recovery."""
    (setup.root / "a").write_text("a")
    assert sync_now(setup)[0] == 0
    journal = setup.state / "journal.sqlite3"
    data = bytearray(journal.read_bytes())
    data[4096:8192] = b"\xff" * 4096  # the second page
    journal.write_bytes(bytes(data))
    code, checks = doctor(setup, "--offline")
    assert code == 1
    assert checks["journal"]["status"] == "fail"
    assert "move" in checks["journal"]["fix"]


def test_a_key_file_open_to_others_fails(setup: Setup, tmp_path: Path) -> None:
    """A key file readable by others fails the key check (the key is not printed)."""
    key_file = tmp_path / "b2-key"
    key_file.write_text(setup.key)
    key_file.chmod(0o644)
    text = setup.config.read_text().replace(
        'key_env = "SYNCD_TEST_APPLICATION_KEY"', f'key_file = "{key_file}"'
    )
    setup.config.write_text(text)
    code, checks = doctor(setup, "--offline")
    assert code == 1
    assert checks["key"]["status"] == "fail"
    assert "chmod 600" in checks["key"]["detail"]


def test_too_few_inotify_watches_fail_with_the_sysctl(
    setup: Setup, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """More directories than fs.inotify.max_user_watches fails and prints the sysctl."""
    for i in range(5):
        (setup.root / f"d{i}").mkdir()
    limit = tmp_path / "max_user_watches"
    limit.write_text("4\n")
    monkeypatch.setattr(doctor_host, "MAX_WATCHES", limit)
    checks = {c.name: c for c in run_doctor(setup.config, offline=True, environ=setup.env())}
    assert checks["inotify"].status == "fail"
    assert "6 directories" in checks["inotify"].detail
    assert "sysctl fs.inotify.max_user_watches=" in checks["inotify"].fix


def test_an_installed_unit_is_reported(setup: Setup, tmp_path: Path) -> None:
    """A unit written by ``syncd service install`` is found and reported current."""
    unit_dir = tmp_path / "units"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "syncd",
            "service",
            "install",
            "--config",
            str(setup.config),
            "--unit-dir",
            str(unit_dir),
            "--no-start",
        ],
        capture_output=True,
        env=setup.env(),
        timeout=60,
        check=True,
    )
    config = load_config(setup.config, environ=setup.env())
    (service,) = [
        c
        for c in doctor_host.host_checks(config, unit_dirs={False: unit_dir})
        if c.name == "service"
    ]
    assert service.status == "ok"
    assert "syncd.service" in service.detail
