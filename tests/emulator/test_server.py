"""Starting and stopping: options checks, the background server, serve_forever and signals."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import httpx
import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer

SERVE = textwrap.dedent(
    """
    import sys
    from syncd.emulator import EmulatorOptions, serve_forever
    options = EmulatorOptions(key_id="k", key="s", buckets=("served-bucket",))
    serve_forever(options, announce=lambda url: print(url, flush=True))
    print("returned", flush=True)
    """
)


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.1", "example.com"])
def test_only_loopback_hosts(host):
    """Non-loopback addresses are refused before binding."""
    with pytest.raises(ValueError, match="loopback"):
        EmulatorServer(EmulatorOptions(host=host, key_id="k", key="s"))


@pytest.mark.parametrize(
    "changes",
    [
        {"key_id": ""},
        {"key_id": "a:b"},
        {"test_mode": "bogus"},
        {"port": 70000},
        {"absolute_minimum_part_size": 0},
        {"recommended_part_size": 10, "absolute_minimum_part_size": 20},
    ],
)
def test_bad_options(changes):
    """Options the emulator cannot honour raise ValueError."""
    options = {"key_id": "k", "key": "s", **changes}
    with pytest.raises(ValueError):
        EmulatorServer(EmulatorOptions(**options))


def test_bad_bucket_option_is_value_error():
    """An invalid bucket name in options raises ValueError at start."""
    server = EmulatorServer(EmulatorOptions(key_id="k", key="s", buckets=("no",)))
    with pytest.raises(ValueError, match="bucket name"):
        server.start()


@pytest.mark.integration
def test_context_manager_and_restart_on_same_port():
    """The server starts, serves, stops, and its port can be reused at once."""
    with EmulatorServer(EmulatorOptions(key_id="k", key="s")) as first:
        url = first.base_url
        assert httpx.get(f"{url}/_emulator/info").status_code == 200
        port = int(url.rsplit(":", 1)[1])
    with pytest.raises(RuntimeError):
        _ = first.base_url
    with EmulatorServer(EmulatorOptions(key_id="k", key="s", port=port)) as second:
        assert second.base_url == url


@pytest.mark.integration
def test_stop_is_idempotent(emulator):
    """Calling stop twice is harmless."""
    emulator.stop()
    emulator.stop()


@pytest.mark.integration
def test_ipv6_loopback():
    """::1 works and the base URL brackets the address."""
    try:
        server = EmulatorServer(EmulatorOptions(host="::1", key_id="k", key="s"))
        server.start()
    except OSError:
        pytest.skip("no IPv6 loopback here")
    try:
        assert server.base_url.startswith("http://[::1]:")
        assert httpx.get(f"{server.base_url}/_emulator/info").status_code == 200
    finally:
        server.stop()


@pytest.mark.integration
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_serve_forever_returns_on_signal(signum):
    """serve_forever announces the URL, serves, and returns on SIGTERM/SIGINT."""
    process = subprocess.Popen([sys.executable, "-c", SERVE], stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        info = httpx.get(f"{url}/_emulator/info").json()
        assert info["buckets"] == ["served-bucket"]
        process.send_signal(signum)
        out, _ = process.communicate(timeout=10)
    finally:
        process.kill()
    assert process.returncode == 0
    assert out.strip() == "returned"
