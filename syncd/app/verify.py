"""Compose ``syncd verify``: config in, one scrub report per folder out.

Imports the app's ``Remote``, ``lock_state`` and journal path, the journal and
``engine.scrub``. Checking only reads the journal (safe while the daemon runs: SQLite
in WAL mode). ``repair`` writes to it, so it takes the instance lock as in-place
restores do (stop the daemon first, exit 75 otherwise); the next ``syncd sync-now``
or daemon pass uploads what was queued.
"""

from __future__ import annotations

import contextlib
import random

from syncd.app.build import lock_state
from syncd.app.files import JOURNAL_NAME, state_path
from syncd.app.prune import chosen_folders
from syncd.app.restore import READ_CAPABILITIES, Remote
from syncd.clock import Clock, SystemClock
from syncd.config import Config
from syncd.engine import Inbox, NameSource, Scrubber, ScrubOptions, ScrubReport, timing_of
from syncd.errors import UsageError
from syncd.journal import Journal


def parse_sample(text: str) -> float:
    """``5%`` or ``0.05`` -> 0.05 (UsageError outside (0, 100%])."""
    try:
        value = float(text[:-1]) / 100 if text.endswith("%") else float(text)
    except ValueError:
        raise UsageError(f"--sample {text!r}: give a share like 5% or 0.05") from None
    if not 0.0 < value <= 1.0:
        raise UsageError(f"--sample {text!r}: must be more than 0 and at most 100%")
    return value


def run_verify(
    config: Config,
    folder: str | None,
    options: ScrubOptions,
    *,
    cached: bool = False,
    clock: Clock | None = None,
    rng: random.Random | None = None,
) -> list[ScrubReport]:
    """Scrub each chosen folder; ``cached`` takes B2's sha1s from the journal's remote
    index (as of its last walk: no listing, no class C call) instead of a listing."""
    clock = clock or SystemClock()
    folders = chosen_folders(config, folder)
    path = state_path(config, JOURNAL_NAME)
    if not path.exists():
        raise UsageError(f"nothing to verify: {path} does not exist (never synced)")
    reports = []
    with contextlib.ExitStack() as stack:
        if options.repair:
            stack.enter_context(lock_state(config))
        journal = Journal.open(path, clock=clock)
        stack.callback(journal.close)
        remote = stack.enter_context(Remote(config, need=READ_CAPABILITIES))
        inbox = Inbox(journal, timing_of(config.sync))
        shared_rng = rng or random.Random()
        for f in folders:
            scrubber = Scrubber(
                journal=journal,
                store=remote.client,
                sink=inbox.record,
                now_ms=clock.now_ms(),
                rng=shared_rng,
                names=cached_names(journal, f.name) if cached else None,
            )
            reports.append(scrubber.scrub(f, remote.bucket(f), options))
    return reports


def cached_names(journal: Journal, folder: str) -> NameSource:
    """B2's visible versions of ``folder`` as the remote index saw them at its last
    walk (UsageError if B2 was never listed for it)."""
    walk = journal.remote.walk(folder)
    if walk is None or walk.last_finished_ms == 0:
        raise UsageError(
            f"--cached: B2 was never listed for {folder!r}; run without --cached, "
            "or run `syncd sync-now --reconcile` first"
        )
    return lambda _bucket, prefix: journal.remote.iter_latest(folder, prefix)
