"""Thread-safety smoke: producers and workers on one journal lose no row."""

from __future__ import annotations

import threading

from syncd.domain import ChangeKind, RelPath

PATHS = [f"dir{i % 7}/file-{i:03d}" for i in range(120)]
PACE = {"settle_ms": 0, "delete_hold_ms": 0, "max_deferral_ms": 0}


def test_concurrent_record_claim_complete_loses_nothing(journal, change, entry):
    """Four producers and three workers: every recorded path ends up indexed, none pending."""
    errors: list[BaseException] = []
    producing = threading.Event()
    producing.set()

    def produce(seed: int) -> None:
        try:
            for round_ in range(15):
                batch = [
                    change(PATHS[(seed * 31 + round_ * 17 + k) % len(PATHS)]) for k in range(16)
                ]
                batch.append(change(PATHS[(seed + round_) % len(PATHS)], ChangeKind.DELETED))
                journal.record(batch, **PACE)
        except BaseException as exc:
            errors.append(exc)

    def work(name: str) -> None:
        idle = threading.Event()
        try:
            for _ in range(20_000):  # bounded: the loop ends long before this
                jobs = journal.claim(worker=name, limit=4, lease_ms=60_000)
                if not jobs:
                    if not producing.is_set() and journal.pending_count() == 0:
                        return
                    idle.wait(0.001)
                    continue
                for n, job in enumerate(jobs):
                    if job.attempts == 0 and n == 3:
                        journal.fail(job, error="transient", retry_at_ms=0)
                    else:
                        journal.complete(job, index=entry(job.rel_path))
        except BaseException as exc:
            errors.append(exc)

    producers = [threading.Thread(target=produce, args=(seed,)) for seed in range(4)]
    workers = [threading.Thread(target=work, args=(f"w{n}",)) for n in range(3)]
    for thread in producers + workers:
        thread.start()
    for thread in producers:
        thread.join(30)
    producing.clear()
    for thread in workers:
        thread.join(30)
    assert errors == []
    assert not any(thread.is_alive() for thread in producers + workers)
    assert journal.pending_count() == 0
    recorded = {
        PATHS[(seed * 31 + round_ * 17 + k) % len(PATHS)]
        for seed in range(4)
        for round_ in range(15)
        for k in range(16)
    } | {PATHS[(seed + round_) % len(PATHS)] for seed in range(4) for round_ in range(15)}
    indexed = {e.rel_path for e in journal.iter_index("docs")}
    assert indexed == recorded
    assert journal.index_get("docs", RelPath(PATHS[0])) is not None
