"""ServiceNotifier speaks sd_notify over $NOTIFY_SOCKET, never blocks, and is silent
without it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.notify import ServiceNotifier


class Manager:
    """A stand-in for systemd: a datagram socket that the test reads when it wants."""

    def __init__(self, address: str) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(address)
        self.sock.setblocking(False)

    def received(self) -> list[str]:
        """Every message waiting, oldest first."""
        messages = []
        while True:
            try:
                messages.append(self.sock.recv(65536).decode())
            except BlockingIOError:
                return messages


@pytest.fixture
def socket_path(tmp_path: Path) -> str:
    """Where the manager listens (short enough for sun_path)."""
    path = str(tmp_path / "notify.sock")
    assert len(path) < 100
    return path


@pytest.fixture
def manager(socket_path: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Manager]:
    """A listening manager announced in NOTIFY_SOCKET, without a watchdog."""
    listening = Manager(socket_path)
    monkeypatch.setenv("NOTIFY_SOCKET", socket_path)
    monkeypatch.delenv("WATCHDOG_USEC", raising=False)
    monkeypatch.delenv("WATCHDOG_PID", raising=False)
    yield listening
    listening.sock.close()


@pytest.fixture(autouse=True)
def close_notifiers(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Every notifier a test makes has its socket closed afterwards."""
    made: list[ServiceNotifier] = []
    real_init = ServiceNotifier.__init__

    def init(self: ServiceNotifier) -> None:
        real_init(self)
        made.append(self)

    monkeypatch.setattr(ServiceNotifier, "__init__", init)
    yield
    for notifier in made:
        notifier.close()


def test_messages_arrive(manager: Manager) -> None:
    """READY with a status, STATUS, WATCHDOG, EXTEND_TIMEOUT_USEC and STOPPING reach the manager."""
    notifier = ServiceNotifier()
    assert notifier.enabled
    notifier.ready("3 pending")
    notifier.status("1 pending; 2 uploaded")
    notifier.watchdog()
    notifier.extend_timeout(1.5)
    notifier.stopping()
    assert manager.received() == [
        "READY=1\nSTATUS=3 pending",
        "STATUS=1 pending; 2 uploaded",
        "WATCHDOG=1",
        "EXTEND_TIMEOUT_USEC=1500000",
        "STOPPING=1",
    ]


def test_abstract_socket(monkeypatch: pytest.MonkeyPatch) -> None:
    """An abstract NOTIFY_SOCKET ("@name") works too."""
    name = f"syncd-notify-test-{os.getpid()}"
    listening = Manager("\0" + name)
    try:
        monkeypatch.setenv("NOTIFY_SOCKET", "@" + name)
        ServiceNotifier().status("up")
        assert listening.received() == ["STATUS=up"]
    finally:
        listening.sock.close()


@pytest.mark.parametrize("value", [None, ""])
def test_disabled_without_notify_socket(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    """With NOTIFY_SOCKET unset or empty, every call does nothing and no watchdog is asked."""
    if value is None:
        monkeypatch.delenv("NOTIFY_SOCKET", raising=False)
    else:
        monkeypatch.setenv("NOTIFY_SOCKET", value)
    monkeypatch.setenv("WATCHDOG_USEC", "10000000")
    notifier = ServiceNotifier()
    assert not notifier.enabled
    notifier.ready("x")
    notifier.status("x")
    notifier.watchdog()
    notifier.stopping()
    assert notifier.watchdog_interval_s() is None


@pytest.mark.parametrize(
    ("usec", "pid", "interval"),
    [
        ("10000000", None, 5.0),
        ("3000000", "self", 1.5),
        ("10000000", "other", None),
        (None, None, None),
        ("", None, None),
        ("abc", None, None),
        ("-5", None, None),
    ],
    ids=["half-the-period", "our-pid", "another-pid", "unset", "empty", "garbage", "negative"],
)
def test_watchdog_interval(
    manager: Manager,
    monkeypatch: pytest.MonkeyPatch,
    usec: str | None,
    pid: str | None,
    interval: float | None,
) -> None:
    """The ping interval is half of WATCHDOG_USEC; None when unusable or meant for another pid."""
    if usec is not None:
        monkeypatch.setenv("WATCHDOG_USEC", usec)
    if pid == "self":
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid()))
    elif pid == "other":
        monkeypatch.setenv("WATCHDOG_PID", str(os.getpid() + 1))
    assert ServiceNotifier().watchdog_interval_s() == interval


@pytest.mark.timeout(10)
def test_full_buffer_never_blocks(manager: Manager) -> None:
    """A manager that stops reading drops messages; status() never blocks."""
    notifier = ServiceNotifier()
    for _ in range(5000):
        notifier.status("s" * 2048)
    arrived = manager.received()
    assert 0 < len(arrived) < 5000
    notifier.status("after")
    assert manager.received() == ["STATUS=after"]


def test_vanished_manager_is_ignored(manager: Manager, socket_path: str) -> None:
    """When the manager's socket goes away, sends fail silently."""
    notifier = ServiceNotifier()
    manager.sock.close()
    os.unlink(socket_path)
    notifier.status("nobody listens")
    notifier.watchdog()


def test_manager_absent_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """A NOTIFY_SOCKET that names no socket leaves the notifier enabled but silent."""
    monkeypatch.setenv("NOTIFY_SOCKET", str(tmp_path / "missing.sock"))
    notifier = ServiceNotifier()
    assert notifier.enabled
    notifier.ready("x")
