"""The daemon prunes on its schedule when a folder has retention rules."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.integration.retention.test_prune import history, listing
from tests.support.bucket_view import BucketView
from tests.support.harness import DaemonProcess, NotifySocket, Setup, wait_until, write_config

pytestmark = pytest.mark.integration


def test_daemon_prunes_on_schedule(
    setup: Setup, view: BucketView, emulator: EmulatorServer, tmp_path: Path
) -> None:
    """With keep_versions = 1 the running daemon leaves one upload per name."""
    history(setup, view, emulator)
    write_config(
        setup,
        sync="reconcile_interval_s = 1.0\njitter_s = 0.0",
        folder="[folder.retention]\nkeep_versions = 1\nmax_delete_share = 1.0",
    )
    notify = NotifySocket(tmp_path / "notify.sock")
    daemon = DaemonProcess(setup, notify, tmp_path / "daemon.log")
    try:
        daemon.wait_ready()

        def one_upload_each() -> bool:
            uploads = Counter(
                n for n, action, _id in listing(emulator, setup) if action == "upload"
            )
            return set(uploads.values()) == {1}

        assert wait_until(one_upload_each, timeout_s=30, step_s=0.3), daemon.log()
        assert "prune_finished" in daemon.log()
    finally:
        assert daemon.terminate() == 0
        notify.close()
