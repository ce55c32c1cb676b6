"""The launchd agent: a valid plist that restarts failures, not a bad config, and logs to a file."""

from __future__ import annotations

import plistlib
from pathlib import Path

from syncd.service import Platform
from syncd.service.launchd import render_launchd
from tests.unit.service.conftest import SpecFactory


def test_agent_is_a_valid_plist(make_spec: SpecFactory) -> None:
    """plistlib reads the rendered agent back, with the label as its file name."""
    (agent,) = render_launchd(make_spec(platform=Platform.LAUNCHD))
    parsed = plistlib.loads(agent.text.encode())
    assert agent.name == "com.syncd.agent.plist"
    assert parsed["Label"] == "com.syncd.agent"
    assert parsed["RunAtLoad"] is True


def test_agent_runs_the_launchd_wrapper_with_absolute_paths(make_spec: SpecFactory) -> None:
    """ProgramArguments are this installation's syncd and the absolute config path."""
    (agent,) = render_launchd(make_spec(platform=Platform.LAUNCHD))
    parsed = plistlib.loads(agent.text.encode())
    assert parsed["ProgramArguments"] == [
        "/opt/syncd/bin/syncd",
        "service",
        "launchd-run",
        "--config",
        "/etc/syncd/web1.toml",
    ]
    assert all(not arg.startswith("~") for arg in parsed["ProgramArguments"])


def test_keepalive_restarts_failures_and_crashes_only(make_spec: SpecFactory) -> None:
    """KeepAlive restarts a non-zero exit or a crash; exit 0 (the wrapper's 78) stays down."""
    (agent,) = render_launchd(make_spec(platform=Platform.LAUNCHD))
    parsed = plistlib.loads(agent.text.encode())
    assert parsed["KeepAlive"] == {"SuccessfulExit": False, "Crashed": True}
    assert parsed["ThrottleInterval"] >= 10
    assert parsed["ExitTimeOut"] >= 60


def test_logs_go_under_library_logs(make_spec: SpecFactory, tmp_path: Path) -> None:
    """stdout and stderr go to ~/Library/Logs/syncd/syncd.log, not /tmp."""
    (agent,) = render_launchd(make_spec(platform=Platform.LAUNCHD))
    parsed = plistlib.loads(agent.text.encode())
    log = str(tmp_path / "home" / "Library" / "Logs" / "syncd" / "syncd.log")
    assert parsed["StandardOutPath"] == parsed["StandardErrorPath"] == log


def test_no_secrets_in_the_plist(make_spec: SpecFactory) -> None:
    """The plist is readable: it carries no environment, so no key."""
    (agent,) = render_launchd(make_spec(platform=Platform.LAUNCHD))
    assert "EnvironmentVariables" not in plistlib.loads(agent.text.encode())
