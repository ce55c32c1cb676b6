"""Run syncd as users do (a subprocess per command) against an emulator, for tests."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.poll import wait_until

__all__ = ["wait_until"]  # re-exported: daemon tests import it from here

KEY_ENV = "SYNCD_TEST_APPLICATION_KEY"


@dataclass
class Setup:
    """One folder synced to one bucket of a running emulator."""

    root: Path
    state: Path
    config: Path
    url: str
    key_id: str
    key: str
    bucket: str
    prefix: str = "host1/"
    extra_env: dict[str, str] = field(default_factory=dict)

    def env(self) -> dict[str, str]:
        """The environment syncd runs with."""
        return {**os.environ, KEY_ENV: self.key, **self.extra_env}


def write_config(setup: Setup, *, sync: str = "", b2: str = "", folder: str = "") -> None:
    """Write the config file of ``setup`` with extra lines per table."""
    setup.config.write_text(
        f"""
[b2]
realm = "{setup.url}"
key_id = "{setup.key_id}"
key_env = "{KEY_ENV}"
backoff_base_s = 0.05
backoff_cap_s = 0.5
{b2}
[state]
dir = "{setup.state}"
[log]
level = "info"
format = "json"
[sync]
workers = 3
settle_s = 0.3
delete_hold_s = 0.6
max_deferral_s = 5.0
retry_base_s = 0.5
retry_cap_s = 2.0
{sync}
[[folder]]
path = "{setup.root}"
bucket = "{setup.bucket}"
prefix = "{setup.prefix}"
{folder}
"""
    )


def sync_now(setup: Setup, *args: str, timeout_s: float = 120) -> tuple[int, dict[str, Any], str]:
    """Run ``syncd sync-now --json``; return (exit code, summary, stderr)."""
    proc = subprocess.run(
        [sys.executable, "-m", "syncd", "sync-now", "--config", str(setup.config), "--json", *args],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=timeout_s,
        check=False,
    )
    summary = json.loads(proc.stdout) if proc.stdout.strip().startswith("{") else {}
    return proc.returncode, summary, proc.stderr


class NotifySocket:
    """A stand-in for systemd's notify socket that records what the daemon sends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(path))
        self.sock.settimeout(0.05)
        self.messages: list[str] = []

    def poll(self) -> list[str]:
        """Read everything that arrived; return all messages so far."""
        while True:
            try:
                self.messages.append(self.sock.recv(4096).decode())
            except (TimeoutError, BlockingIOError):
                return self.messages

    def seen(self, text: str) -> bool:
        """True once a message containing ``text`` arrived."""
        return any(text in m for m in self.poll())

    def close(self) -> None:
        """Close the socket."""
        self.sock.close()


class DaemonProcess:
    """``syncd run`` in a subprocess with a notify socket."""

    def __init__(self, setup: Setup, notify: NotifySocket, log_path: Path) -> None:
        env = {**setup.env(), "NOTIFY_SOCKET": str(notify.path), "WATCHDOG_USEC": "2000000"}
        self.log_path = log_path
        self._log = log_path.open("ab")
        self.notify = notify
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "syncd", "run", "--config", str(setup.config)],
            stdout=self._log,
            stderr=self._log,
            env=env,
        )

    def wait_ready(self, timeout_s: float = 60) -> None:
        """Block until READY=1 arrived (or fail with the log)."""
        if not wait_until(
            lambda: self.notify.seen("READY=1") or self.proc.poll() is not None, timeout_s
        ):
            raise AssertionError("daemon never became ready:\n" + self.log())
        if self.proc.poll() is not None:
            raise AssertionError(f"daemon exited {self.proc.returncode}:\n" + self.log())

    def dump_stacks(self) -> None:
        """Ask the daemon to write every thread's stack into its log (SIGUSR1)."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGUSR1)
            time.sleep(1)

    def log(self) -> str:
        """Everything the daemon wrote."""
        if not self._log.closed:
            self._log.flush()
        return self.log_path.read_text(errors="replace")[-20000:]

    def terminate(self, timeout_s: float = 60) -> int:
        """SIGTERM and wait; return the exit code."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = self.proc.wait(timeout_s)
        except subprocess.TimeoutExpired:
            self.proc.send_signal(signal.SIGUSR1)  # the daemon dumps its threads' stacks
            time.sleep(1)
            self.proc.kill()
            self.proc.wait(30)
            raise AssertionError(
                f"daemon ignored SIGTERM for {timeout_s} s:\n{self.log()}"
            ) from None
        self._log.close()
        return code

    def kill(self) -> None:
        """SIGKILL, as a crash."""
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(30)
        self._log.close()


def run_syncd(setup: Setup, *args: str) -> subprocess.CompletedProcess[str]:
    """Run one syncd command (``args[0]``) with the setup's config and its arguments."""
    return subprocess.run(
        [sys.executable, "-m", "syncd", args[0], "--config", str(setup.config), *args[1:]],
        capture_output=True,
        text=True,
        env=setup.env(),
        timeout=60,
        check=False,
    )
