"""Cross-tool interop on one emulator: syncd, rclone and the b2 CLI read each other's uploads.

The shared language is B2's: ``src_last_modified_millis`` for mtimes, ``contentSha1`` or
``large_file_sha1`` for content.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.peers.conftest import B2Cli, make_rclone
from tests.peers.peerkit import (
    BUCKET,
    RCLONE_IDS,
    ExternalEmulator,
    assert_same_tree,
    make_tree,
    mtime_ms,
)
from tests.support.harness import Setup, sync_now, write_config

pytestmark = pytest.mark.peers

MARKER = ".syncd-folder"  # syncd's folder marker; never uploaded
BIG = 600_000  # above the emulator's recommendedPartSize: every tool makes a large file


@pytest.fixture
def syncd_setup(tmp_path: Path, sdk_server: EmulatorServer) -> Setup:
    """A folder configured to sync to ``test-bucket/host1/`` on the small-part emulator."""
    root = tmp_path / "folder"
    root.mkdir()
    setup = Setup(
        root=root,
        state=tmp_path / "syncd-state",
        config=tmp_path / "syncd.toml",
        url=sdk_server.base_url,
        key_id=sdk_server.key_id,
        key=sdk_server.key,
        bucket=BUCKET,
    )
    write_config(setup)
    return setup


def writes(server: EmulatorServer) -> int:
    """How many calls that add or remove versions the emulator has served."""
    calls = server.stats()["calls"]
    names = ("b2_upload_file", "b2_upload_part", "b2_copy_file", "b2_hide_file")
    return sum(calls.get(name, 0) for name in names)


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_syncd_upload_is_identical_for_rclone_and_b2(
    flavour: str, syncd_setup: Setup, b2_authorized: B2Cli, tmp_path: Path
) -> None:
    """After ``syncd sync-now``, rclone check/lsl and ``b2 sync`` down see the same tree."""
    server = b2_authorized.server
    rclone = make_rclone(flavour, tmp_path, server)
    root = syncd_setup.root
    mtimes = make_tree(root, big=BIG)
    code, summary, err = sync_now(syncd_setup)
    assert code == 0, err
    assert summary["uploaded_files"] == len(mtimes)
    assert server.stats()["calls"]["b2_finish_large_file"] == 1

    rclone.check(root, "host1", "--exclude", f"/{MARKER}")
    assert rclone.lsl("host1") == {
        rel: ((root / rel).stat().st_size, ms) for rel, ms in mtimes.items()
    }
    before = writes(server)
    rclone.ok("sync", "--exclude", f"/{MARKER}", str(root), rclone.remote("host1"))
    assert writes(server) == before, "rclone re-uploaded files syncd had uploaded"

    back = tmp_path / "back"
    b2_authorized.ok("sync", "--no-progress", f"b2://{BUCKET}/host1", str(back))
    assert_same_tree(root, back, skip=(MARKER,))
    b2_authorized.ok(
        "sync", "--no-progress", "--exclude-regex", MARKER, str(root), f"b2://{BUCKET}/host1"
    )
    assert writes(server) == before, "b2 sync re-uploaded files syncd had uploaded"


def test_b2_sync_upload_then_syncd_sync_now(syncd_setup: Setup, b2_authorized: B2Cli) -> None:
    """syncd adopts a tree ``b2 sync`` already uploaded (same size and mtime): no re-upload."""
    server = b2_authorized.server
    root = syncd_setup.root
    mtimes = make_tree(root, big=BIG)
    b2_authorized.ok("sync", "--no-progress", str(root), f"b2://{BUCKET}/host1")
    before = writes(server)
    code, summary, err = sync_now(syncd_setup)
    assert code == 0, err
    assert (summary["uploaded_files"], summary.get("adopted_files")) == (0, len(mtimes)), summary
    assert writes(server) == before
    code, summary, err = sync_now(syncd_setup)
    assert code == 0, err
    assert summary["uploaded_files"] == 0


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_rclone_upload_then_syncd_sync_now(
    flavour: str, syncd_setup: Setup, sdk_server: EmulatorServer, tmp_path: Path
) -> None:
    """syncd adopts a tree rclone uploaded (one file chunked): no re-upload, then or later."""
    rclone = make_rclone(flavour, tmp_path, sdk_server)
    root = syncd_setup.root
    mtimes = make_tree(root, big=BIG)
    rclone.ok("copy", "--b2-upload-cutoff", "5M", str(root), rclone.remote("host1"))
    before = writes(sdk_server)
    code, summary, err = sync_now(syncd_setup)
    assert code == 0, err
    assert (summary["uploaded_files"], summary.get("adopted_files")) == (0, len(mtimes)), summary
    code, summary, err = sync_now(syncd_setup, "--reconcile")
    assert code == 0, err
    assert (summary["uploaded_files"], summary["conflicts"]) == (0, 0)
    assert writes(sdk_server) == before


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_rclone_upload_is_identical_for_b2_sync(
    flavour: str, b2_authorized: B2Cli, tmp_path: Path
) -> None:
    """A tree rclone uploaded (one file chunked) syncs down and back up with ``b2 sync``."""
    server = b2_authorized.server
    rclone = make_rclone(flavour, tmp_path, server)
    tree = tmp_path / "tree"
    mtimes = make_tree(tree, big=11_000_000)
    rclone.ok(
        "copy", "--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M", str(tree), rclone.remote("rc")
    )
    assert server.stats()["calls"]["b2_finish_large_file"] == 1

    back = tmp_path / "back"
    b2_authorized.ok("sync", "--no-progress", f"b2://{BUCKET}/rc", str(back))
    assert_same_tree(tree, back)
    assert {rel: mtime_ms(back / rel) for rel in mtimes} == mtimes
    before = writes(server)
    b2_authorized.ok("sync", "--no-progress", str(tree), f"b2://{BUCKET}/rc")
    assert writes(server) == before, "b2 sync re-uploaded files rclone had uploaded"


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_emulator_cli_on_disk_survives_a_restart(flavour: str, tmp_path: Path) -> None:
    """``syncd emulator --data DIR`` serves rclone, restarts on the same data, and still agrees."""
    data = tmp_path / "emulator-data"
    args = [
        *("--data", str(data), "--key-id", "peer-key-id", "--key", "peer-key"),
        *("--bucket", BUCKET, "--part-size", "5000000", "--min-part-size", "5000000"),
    ]
    tree = tmp_path / "tree"
    mtimes = make_tree(tree, big=11_000_000)
    chunked = ("--b2-upload-cutoff", "5M", "--b2-chunk-size", "5M")
    first = ExternalEmulator(args, tmp_path / "emulator.log", "peer-key-id", "peer-key")
    try:
        rclone = make_rclone(flavour, tmp_path, first)
        rclone.ok("copy", *chunked, str(tree), rclone.remote("disk"))
        assert first.stats()["calls"]["b2_finish_large_file"] == 1
    finally:
        assert first.stop() == 0
    second = ExternalEmulator(args, tmp_path / "emulator.log", "peer-key-id", "peer-key")
    try:
        rclone = make_rclone(flavour, tmp_path, second)
        assert rclone.lsl("disk") == {
            rel: ((tree / rel).stat().st_size, ms) for rel, ms in mtimes.items()
        }
        rclone.check(tree, "disk")
        back = tmp_path / "back"
        rclone.ok("copy", rclone.remote("disk"), str(back))
        assert_same_tree(tree, back)
        rclone.ok("sync", *chunked, str(tree), rclone.remote("disk"))
        calls = second.stats()["calls"]
        assert not {"b2_upload_file", "b2_upload_part", "b2_copy_file"} & set(calls), calls
    finally:
        assert second.stop() == 0


FAULTS = (
    "upload_file:status=503,count=2,retry_after=none",
    "upload_file:lost_response=1,count=1,skip=3",
    "list_file_names|list_file_versions:drop=1,count=1",
    "get_upload_url:status=500,count=1",
)


@pytest.mark.parametrize("flavour", RCLONE_IDS)
def test_injected_faults_are_survived_by_rclone(
    flavour: str, sdk_server: EmulatorServer, tmp_path: Path
) -> None:
    """Errors, a dropped connection and a lost response: rclone still converges."""
    tree = tmp_path / "tree"
    mtimes = make_tree(tree)
    rclone = make_rclone(flavour, tmp_path, sdk_server)
    rclone.extra = ("--retries", "1", "--low-level-retries", "5")
    sdk_server.set_faults_spec(FAULTS)
    rclone.ok("copy", str(tree), rclone.remote("rf"))
    assert sdk_server.stats()["faultsFired"] == 5, sdk_server.stats()
    sdk_server.set_faults_spec([])
    rclone.check(tree, "rf")
    assert sorted(rclone.lsl("rf")) == sorted(mtimes)


def test_injected_faults_are_survived_by_b2_sync(b2_authorized: B2Cli, tmp_path: Path) -> None:
    """Errors, a dropped connection and a lost response: ``b2 sync`` still converges."""
    server = b2_authorized.server
    tree = tmp_path / "tree"
    make_tree(tree)
    server.set_faults_spec(FAULTS)
    b2_authorized.ok("sync", "--no-progress", str(tree), f"b2://{BUCKET}/bf")
    assert server.stats()["faultsFired"] >= 4, server.stats()
    server.set_faults_spec([])
    back = tmp_path / "back"
    b2_authorized.ok("sync", "--no-progress", f"b2://{BUCKET}/bf", str(back))
    assert_same_tree(tree, back)
