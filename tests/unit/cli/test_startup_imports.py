"""What ``syncd --version``, ``--help`` and ``status`` import, checked in a fresh interpreter.

Start-up time is decided by imports; these tests pin what each command may load (never
how long it takes), so a heavy import that creeps back in fails here.
"""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from syncd import __version__
from syncd.config import Config, load_config
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock

HEAVY = (
    "sqlalchemy",
    "httpx",
    "watchdog",
    "b2sdk",
    "structlog",
    "apscheduler",
    "prometheus_client",
    "keyring",
    "botocore",
    "rich",
    "syncd.engine",
    "syncd.b2",
    "syncd.s3",
    "syncd.emulator",
    "syncd.daemon",
    "syncd.watch",
    "syncd.service",
    "syncd.remote",
    "syncd.journal.store",
)

# Runs ``syncd ARGS`` as the console script does, then writes the exit code and every
# loaded module to the file named by its first argument.
RUNNER = """
import sys
report, sys.argv = sys.argv[1], ["syncd", *sys.argv[2:]]
code = 0
try:
    from syncd.cli import main
    main()
except SystemExit as exc:
    code = exc.code
with open(report, "w") as out:
    out.write(f"{code}\\n" + "\\n".join(sorted(sys.modules)))
"""


def loaded_by(tmp_path: Path, *args: str) -> tuple[int, set[str], str]:
    """Run ``syncd ARGS`` in a fresh interpreter: (exit code, modules loaded, stdout)."""
    report = tmp_path / "modules.txt"
    proc = subprocess.run(
        [sys.executable, "-c", RUNNER, str(report), *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert report.exists(), proc.stderr
    code, *modules = report.read_text().split("\n")
    return int(code), set(modules), proc.stdout


def heavy_in(modules: set[str]) -> list[str]:
    """The loaded modules that belong to a heavy package."""
    return sorted(m for m in modules if any(m == h or m.startswith(h + ".") for h in HEAVY))


def commands_in(modules: set[str]) -> list[str]:
    """The command modules (``syncd.cli.*_cmd``) that were loaded."""
    return sorted(m for m in modules if m.startswith("syncd.cli.") and m.endswith("_cmd"))


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config (a B2 URL, as a user has it) whose state dir holds a real journal."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "state").mkdir()
    path = tmp_path / "syncd.toml"
    path.write_text(
        '[b2]\nrealm = "http://127.0.0.1:8180"\nkey_id = "id"\nkey_env = "UNSET_KEY"\n'
        f'[state]\ndir = "{tmp_path / "state"}"\n'
        f'[[folder]]\npath = "{tmp_path / "docs"}"\nbucket = "demo-bucket"\n'
    )
    config = load_config(path, resolve_key=False)
    with Journal.open(config.state.dir / "journal.sqlite3", clock=FakeClock()):
        pass
    return config


def test_version_loads_no_command_and_nothing_heavy(tmp_path: Path) -> None:
    """``syncd --version`` loads click and syncd.cli only: no command module, no config."""
    code, modules, out = loaded_by(tmp_path, "--version")
    assert (code, out.strip()) == (0, f"syncd, version {__version__}")
    assert commands_in(modules) == []
    assert heavy_in(modules) == []
    assert "syncd.config" not in modules


def test_help_lists_every_command_without_loading_one(tmp_path: Path) -> None:
    """``syncd --help`` lists the commands from the group's table, importing none of them."""
    code, modules, out = loaded_by(tmp_path, "--help")
    assert code == 0
    assert "sync-now" in out
    assert "status" in out
    assert commands_in(modules) == []
    assert heavy_in(modules) == []


@pytest.mark.parametrize("extra", [(), ("--json",)])
def test_status_loads_its_own_command_and_nothing_heavy(
    config: Config, tmp_path: Path, extra: tuple[str, ...]
) -> None:
    """``syncd status`` (text and --json) loads only status_cmd, the config and the peek."""
    code, modules, out = loaded_by(tmp_path, "status", "--config", str(config.source), *extra)
    assert code == 0, out
    assert "demo-bucket" in out
    assert commands_in(modules) == ["syncd.cli.status_cmd"]
    assert heavy_in(modules) == []
    assert {"syncd.journal.peek", "syncd.config.loader", "sqlite3"} <= modules


class _RefusingB2(BaseHTTPRequestHandler):
    """Answers every call as B2 answers a wrong key: 401 bad_auth_token."""

    def do_GET(self) -> None:
        """Refuse the key."""
        body = b'{"status": 401, "code": "bad_auth_token", "message": "refused"}'
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet."""


@pytest.fixture
def refusing_realm() -> Iterator[str]:
    """The URL of a local server that refuses every key (sync-now stops at once, 77)."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _RefusingB2)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_sync_now_loads_no_rich_and_no_pygments(
    tmp_path: Path, refusing_realm: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """sync-now loads structlog and httpx without their optional rich and pygments extras."""
    monkeypatch.setenv("SYNCD_TEST_STARTUP_KEY", "k0123456789")
    (tmp_path / "docs").mkdir()
    path = tmp_path / "syncd.toml"
    path.write_text(
        f'[b2]\nrealm = "{refusing_realm}"\nkey_id = "id"\nkey_env = "SYNCD_TEST_STARTUP_KEY"\n'
        f'[state]\ndir = "{tmp_path / "state"}"\n'
        f'[[folder]]\npath = "{tmp_path / "docs"}"\nbucket = "demo-bucket"\n'
    )
    code, modules, _ = loaded_by(tmp_path, "sync-now", "--config", str(path), "--no-progress")
    assert code == 77
    assert {"structlog", "httpx", "sqlalchemy"} <= modules
    assert sorted(m for m in modules if m.split(".")[0] in {"rich", "pygments", "attr"}) == []
