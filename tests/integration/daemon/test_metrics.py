"""The daemon's Prometheus endpoint, scraped over HTTP while it syncs to the emulator."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from syncd.config import load_config
from syncd.errors import ConfigError
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until, write_config

pytestmark = pytest.mark.integration


def free_port() -> int:
    """A port nothing listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def scrape(port: int) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """{(sample name, labels): value} of one scrape."""
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_a_scrape_shows_uploads_pending_calls_and_last_success(
    setup: Setup, tmp_path: Path
) -> None:
    """After 3 uploads: files/bytes counters, pending 0, B2 calls by class, a last upload time."""
    port = free_port()
    write_config(setup, b2=f'[metrics]\nlisten = "127.0.0.1:{port}"')
    notify = NotifySocket(tmp_path / "n.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "d.log")
    try:
        daemon.wait_ready()
        for i in range(3):
            (setup.root / f"f{i}").write_bytes(b"m" * 1000)
        folder = (("folder", "folder"),)
        # the queue drains too (a rescan queued at start may still be due when the closed
        # files are already up: they no longer wait for the settle window)
        assert wait_until(
            lambda: (
                scrape(port).get(("syncd_files_on_b2", folder)) == 3
                and scrape(port).get(("syncd_pending", folder)) == 0
            ),
            30,
        ), daemon.log()
        m = scrape(port)
        assert m[("syncd_uploaded_files_total", ())] == 3
        assert m[("syncd_uploaded_bytes_total", ())] == 3000
        assert m[("syncd_pending", folder)] == 0
        assert m[("syncd_rpo_seconds", folder)] == 0
        assert m[("syncd_b2_calls_total", (("class", "A"),))] >= 3
        assert m[("syncd_b2_calls_total", (("class", "C"),))] >= 1
        assert m[("syncd_last_upload_timestamp_seconds", folder)] > 1.7e9
        assert m[("process_resident_memory_bytes", ())] > 0
    finally:
        assert daemon.terminate() == 0
        notify.close()
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=2)


def test_a_bad_listen_address_is_a_config_error(setup: Setup) -> None:
    """``listen`` without a port is one readable ConfigError (exit 78)."""
    write_config(setup, b2='[metrics]\nlisten = "localhost"')
    with pytest.raises(ConfigError, match=r"metrics\.listen"):
        load_config(setup.config, environ=setup.env())
