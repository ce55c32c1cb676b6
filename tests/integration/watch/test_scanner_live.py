"""The scanner where permissions and mounts are real: run in a child process inside a
user (and mount) namespace, so root's privileges do not hide the faults."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

pytestmark = pytest.mark.integration
CHILD = Path(__file__).with_name("scan_child.py")
REPO = Path(__file__).resolve().parents[3]


def namespaces_work(*flags: str) -> str | None:
    """Why ``unshare FLAGS`` cannot run here, or None."""
    if shutil.which("unshare") is None:
        return "unshare is not installed"
    probe = subprocess.run(["unshare", *flags, "true"], capture_output=True, text=True, check=False)
    return None if probe.returncode == 0 else f"unshare {' '.join(flags)}: {probe.stderr}"


def scan(
    prefix: Sequence[str], root: Path, indexed: Sequence[str], *, setup: str = "", **options: object
) -> dict[str, list[object]]:
    """Run scan_child.py under ``prefix`` (after the shell ``setup``); return its JSON."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    script = f'{setup} exec "$@"'
    out = subprocess.run(
        [
            *prefix,
            "sh",
            "-c",
            script,
            "sh",
            sys.executable,
            str(CHILD),
            str(root),
            json.dumps(options),
            json.dumps(list(indexed)),
        ],
        capture_output=True,
        text=True,
        check=True,
        env=env,
        timeout=60,
    ).stdout
    result: dict[str, list[object]] = json.loads(out.strip().splitlines()[-1])
    return result


@pytest.fixture
def root(tmp_path: Path) -> Iterator[Path]:
    """A folder root; permissions are restored afterwards so it can be removed."""
    path = tmp_path / "root"
    path.mkdir()
    yield path
    for dirpath, dirnames, _ in os.walk(path):
        for name in dirnames:
            os.chmod(os.path.join(dirpath, name), 0o755)


def test_unreadable_directories_are_never_deletes(root: Path) -> None:
    """Unreadable directories are reported, never DELETED; a file really gone still is."""
    reason = namespaces_work("-U")
    if reason:
        pytest.skip(reason)
    for rel in ("locked/a", "locked/b", "noexec/c", "ok/d"):
        (root / rel).parent.mkdir(exist_ok=True)
        (root / rel).write_text("x")
    os.chmod(root / "locked", 0)
    os.chmod(root / "noexec", 0o600)
    indexed = ["locked/a", "locked/b", "locked/sub/e", "noexec/c", "ok/d", "ok/gone"]
    # unshare -U without a uid map drops root's override of permission bits
    result = scan(["unshare", "-U"], root, indexed)
    assert result["entries"] == [
        ["locked", "directory cannot be read: Permission denied"],
        ["noexec/c", "cannot be looked at: Permission denied"],
        ["ok/d", None],
    ]
    assert result["deleted"] == ["ok/gone"]


def test_mounts_and_bind_loops(root: Path) -> None:
    """A mount inside is skipped with one_file_system; a bind loop of the root is caught."""
    reason = namespaces_work("-U", "-r", "-m")
    if reason:
        pytest.skip(reason)
    (root / "mnt").mkdir()
    (root / "sub" / "loop").mkdir(parents=True)
    (root / "top").write_text("x")
    setup = (
        f"mount -t tmpfs none {root}/mnt && echo x > {root}/mnt/inner && "
        f"mount --bind {root} {root}/sub/loop &&"
    )
    ns = ["unshare", "-U", "-r", "-m"]
    one_fs = scan(ns, root, ["mnt/old"], setup=setup)
    assert one_fs["entries"] == [
        ["mnt", "on another filesystem (one_file_system is on)"],
        ["sub/loop", "directory loop (the same directory is above it)"],
        ["top", None],
    ]
    assert one_fs["deleted"] == []
    crossing = scan(ns, root, [], setup=setup, one_file_system=False)
    assert ["mnt/inner", None] in crossing["entries"]
    assert ["sub/loop", "directory loop (the same directory is above it)"] in crossing["entries"]
