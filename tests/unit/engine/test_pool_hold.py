"""The pool's hold (``syncd pause``): a job under way finishes, no new one starts, and the
jobs it had claimed are given back; when the hold ends the rest is sent."""

from __future__ import annotations

import random
import threading
from typing import cast

import pytest

from syncd.b2 import B2Client
from syncd.config import FolderConfig, SyncConfig
from syncd.domain import ChangeKind, LocalChange, RelPath
from syncd.engine.guard import RootGuard
from syncd.engine.report import RunReport
from syncd.engine.worker import FolderRuntime, WorkerPool
from syncd.journal import Journal
from tests.support.fake_clock import FakeClock
from tests.unit.engine.conftest import BUCKET, FOLDER, PREFIX
from tests.unit.engine.test_worker import FakeClient

pytestmark = pytest.mark.timeout(20)


def test_a_hold_arriving_mid_upload_lets_it_finish_and_starts_nothing_more(
    journal: Journal, clock: FakeClock, folder: FolderConfig
) -> None:
    """Paused during the first upload: it is recorded, the second waits, unleased, until resumed."""
    held = threading.Event()
    client = FakeClient()
    client.on_upload = held.set  # the pause lands while the first file is being sent
    guard = RootGuard(folder, journal)
    guard.establish()
    pool = WorkerPool(
        journal=journal,
        client=cast(B2Client, client),
        folders={FOLDER: FolderRuntime(config=folder, bucket=BUCKET, root=guard)},
        sync=SyncConfig(workers=1, settle_s=0.0),
        clock=clock,
        report=RunReport(),
        rescan=lambda _folder, _under, _progress: None,
        rng=random.Random(7),
        stop=threading.Event(),
        hold=held.is_set,
    )
    for name in ("a.txt", "b.txt"):
        (folder.path / name).write_text(name)
    changes = [
        LocalChange(folder=FOLDER, rel_path=RelPath(n), kind=ChangeKind.CHANGED,
                    observed_ms=clock.now_ms())
        for n in ("a.txt", "b.txt")
    ]  # fmt: skip
    journal.record(changes, settle_ms=0, delete_hold_ms=0, max_deferral_ms=0)
    pool.drain()
    assert client.uploads == [PREFIX + "a.txt"]
    assert journal.index_get(FOLDER, RelPath("a.txt")) is not None
    assert journal.pending_count(FOLDER) == 1
    (waiting,) = journal.claim(worker="probe", limit=5, lease_ms=1000)  # given back: claimable
    assert waiting.rel_path == "b.txt"
    journal.release_all_leases("probe")
    held.clear()
    client.on_upload = None
    pool.drain()
    assert client.uploads == [PREFIX + "a.txt", PREFIX + "b.txt"]
    assert journal.pending_count(FOLDER) == 0
