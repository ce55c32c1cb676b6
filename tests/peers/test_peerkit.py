"""The suite's own rules: missing peers skip, or fail under SYNCD_REQUIRE_PEERS=1."""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.peers import peerkit
from tests.peers.conftest import make_rclone
from tests.peers.peerkit import REQUIRE_ENV, isolated_env, unavailable

pytestmark = pytest.mark.peers


def test_missing_peer_skips_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without SYNCD_REQUIRE_PEERS a missing peer is a skip with the reason."""
    monkeypatch.delenv(REQUIRE_ENV, raising=False)
    with pytest.raises(pytest.skip.Exception, match="no such peer"):
        unavailable("no such peer")


def test_missing_peer_fails_when_required(monkeypatch: pytest.MonkeyPatch) -> None:
    """With SYNCD_REQUIRE_PEERS=1 a missing peer fails the test."""
    monkeypatch.setenv(REQUIRE_ENV, "1")
    with pytest.raises(pytest.fail.Exception, match="no such peer"):
        unavailable("no such peer")


def test_missing_rclone_binary_fails_when_required(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, sdk_server: EmulatorServer
) -> None:
    """A missing rclone binary is reported through unavailable(), naming how to install it."""
    monkeypatch.setenv(REQUIRE_ENV, "1")
    monkeypatch.setattr(peerkit, "DEBIAN_RCLONE", tmp_path / "no-rclone")
    with pytest.raises(pytest.fail.Exception, match="apt-get install rclone"):
        make_rclone("debian", tmp_path, sdk_server)


def test_isolated_env_keeps_user_config_out(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Peer environments drop B2/rclone/XDG/proxy settings and point HOME into tmp."""
    monkeypatch.setenv("B2_ACCOUNT_INFO", "/somewhere/else")
    monkeypatch.setenv("RCLONE_CONFIG", "/somewhere/else")
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.invalid:1")
    env = isolated_env(tmp_path / "home")
    assert "B2_ACCOUNT_INFO" not in env
    assert "RCLONE_CONFIG" not in env
    assert "HTTPS_PROXY" not in env
    assert env["HOME"] == str(tmp_path / "home")
    assert env["XDG_CONFIG_HOME"].startswith(str(tmp_path))
