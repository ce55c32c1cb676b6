"""Build an ``App`` from a Config: journal, B2 client, folders, workers.

``build`` only wires (and starts the embedded emulator when the realm is "embedded");
``App.start`` does the start-up I/O. ``App.run_once`` is sync-now; the daemon adds a
``Runtime``.
"""

from __future__ import annotations

import contextlib
import hashlib
import platform
import random
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Self

import structlog

from syncd.app.files import JOURNAL_NAME, LOCK_NAME, state_path
from syncd.app.protection import check_lock, folder_capabilities, write_policies
from syncd.app.remote import RemoteClient, build_remote
from syncd.b2 import BandwidthLimiter, CallMeter, make_http_client
from syncd.clock import Clock, SystemClock
from syncd.config import EMBEDDED_REALM, Config
from syncd.engine import (
    CallLedger,
    DeleteGuard,
    DryRun,
    FolderRuntime,
    Inbox,
    PauseGate,
    PlannedItem,
    Reconciler,
    Rescanner,
    RootGuard,
    RunReport,
    Tally,
    WorkerPool,
    adopt_folder,
    remote_bound_s,
    timing_of,
)
from syncd.errors import SafetyStopError
from syncd.journal import Journal
from syncd.journal.lock import InstanceLock

if TYPE_CHECKING:
    from syncd.emulator import EmulatorServer

log = structlog.get_logger(__name__)


@dataclass
class App:
    """syncd, built: the parts and the threads that connect them. ``start()`` once
    before anything runs; ``close()`` (or leaving ``with app:``) releases it all."""

    config: Config
    clock: Clock
    journal: Journal
    client: RemoteClient
    folders: dict[str, FolderRuntime]  # filled by start(): the folders whose root is there
    report: RunReport
    pool: WorkerPool
    rescanner: Rescanner
    reconciler: Reconciler
    calls: CallLedger
    inbox: Inbox
    stop: threading.Event
    rng: random.Random
    resources: contextlib.ExitStack
    emulator: EmulatorServer | None = None
    dry: bool = False  # built for a dry run: the journal is a private copy
    meter: CallMeter | None = None  # B2 calls of this process (status, metrics)
    limiter: BandwidthLimiter | None = None  # the bandwidth limit of every transfer
    started: bool = False

    def start(self) -> None:
        """Start-up I/O: release dead leases, authorize, check each folder's bucket and
        key, and check (or, first time, record) each root. A folder whose root is
        unavailable is left out and reported. A dry run records nothing, not even a
        root's identity."""
        assert not self.started, "start() runs once"
        self.started = True
        # The caller holds the instance lock, so every lease left in the journal belongs
        # to a process that died: its jobs are claimable again at once, not after lease_s.
        # Their sends may have reached B2: the rows' maybe_sent mark makes the worker look
        # first.
        stale = self.journal.release_stale_leases()
        if stale:
            log.info("stale_leases_released", count=stale)
        self.client.authorize()
        for folder in self.config.folders:
            need = folder_capabilities(self.config, folder)
            bucket = self.client.check_access(folder.bucket, folder.prefix, need=need)
            check_lock(self.config, folder, bucket)
            guard = RootGuard(folder, self.journal)
            try:
                if not self.dry:
                    guard.establish()
            except SafetyStopError as exc:
                self.report.pause(str(exc))
                log.error("folder_unavailable", folder=folder.name, reason=str(exc))
                continue
            self.folders[folder.name] = FolderRuntime(config=folder, bucket=bucket, root=guard)

    def adopt_new_folders(self) -> set[str]:
        """Index what B2 already holds for folders never synced from this journal: one
        walk fills the remote index, and the index adopts from it. Returns the folders
        walked."""
        assert self.started, "start() first"
        walked_names: set[str] = set()
        for name, runtime in self.folders.items():
            if self.journal.index_empty(name):
                walked = self.reconciler.reconcile(name).finished
                walked_names.add(name)
                prefix = runtime.config.prefix
                remote = (
                    self.journal.remote.iter_latest(name, prefix)
                    if walked
                    else self.client.iter_names(runtime.bucket, prefix)
                )
                count = adopt_folder(self.journal, runtime.config, remote)
                self.report.add(Tally.ADOPTED_FILES, count)
        return walked_names

    def reconcile_stale(self, *, force: bool = False, skip: frozenset[str] = frozenset()) -> None:
        """Walk B2 for folders whose remote index is older than ``reconcile_interval_s``
        (or whose walk was cut short; every folder with ``force``), queueing what other
        writers changed."""
        max_age_ms = 0 if force else int(self.config.sync.reconcile_interval_s * 1000)
        for name in self.folders:
            if name not in skip and (force or self.reconciler.stale(name, max_age_ms)):
                self.reconciler.reconcile(name)

    def dry_run(self) -> list[PlannedItem]:
        """What sync-now would do per path, and why (``--dry-run``). Built with
        ``dry_run=True``, the journal is a private copy: nothing real is recorded."""
        assert self.dry, "build(dry_run=True) first"
        self.adopt_new_folders()
        self.journal.retry_now()
        for name in self.folders:
            self.rescanner.rescan(name)
        planner = DryRun(
            journal=self.journal,
            pool=self.pool,
            folders=self.folders,
            sync=self.config.sync,
            clock=self.clock,
        )
        return planner.plan(self.report)

    def run_once(self, *, reconcile: bool = False) -> RunReport:
        """Scan every folder, drain the journal, and return what happened (sync-now);
        ``reconcile`` lists B2 first even where the remote index is fresh."""
        walked = self.adopt_new_folders()
        self.reconcile_stale(force=reconcile, skip=frozenset(walked))
        self.journal.retry_now()  # a one-shot run retries earlier failures now
        for name in self.folders:
            self.rescanner.rescan(name)
        self.pool.drain()
        self.calls.flush()
        return self.report

    def close(self) -> None:
        """Release everything, in reverse order of building."""
        self.resources.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def start_embedded(config: Config) -> EmulatorServer:
    """Start the emulator in-process with its data under the state dir (imported here
    only: a daemon talking to real B2 never loads the web server)."""
    from syncd.emulator import EmulatorOptions, EmulatorServer  # noqa: PLC0415

    server = EmulatorServer(
        EmulatorOptions(
            host="127.0.0.1",
            port=0,
            data_dir=state_path(config, "emulator"),
            key_id=config.b2.key_id,
            key=config.b2.application_key,
            buckets=tuple(sorted({f.bucket for f in config.folders})),
        )
    )
    server.start()
    log.info("embedded_emulator_started", url=server.base_url)
    return server


def build(
    config: Config,
    *,
    clock: Clock | None = None,
    rng: random.Random | None = None,
    stop: threading.Event | None = None,
    immediate: bool = False,
    dry_run: bool = False,
    meter: CallMeter | None = None,
    limiter: BandwidthLimiter | None = None,
) -> App:
    """Wire syncd from ``config``; ``immediate`` skips the settle windows (sync-now).
    Nothing talks to B2 or writes a root marker here: that is ``App.start()``.
    ``meter`` counts B2 calls and ``limiter`` paces transfers (the daemon keeps both
    across reloads)."""
    clock = clock or SystemClock()
    meter = meter or CallMeter()
    rng = rng or random.Random()
    stop = stop or threading.Event()
    limiter = limiter or BandwidthLimiter(config.b2.bandwidth, clock, stop)
    config.state.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    with contextlib.ExitStack() as stack:  # on any failure, what was built is released
        emulator = start_embedded(config) if config.b2.realm == EMBEDDED_REALM else None
        if emulator is not None:
            stack.callback(emulator.stop)
        realm_url = emulator.base_url if emulator is not None else config.b2.realm
        # A dry run works on a private copy of the journal and throws it away.
        scratch = None
        if dry_run:
            scratch = stack.enter_context(tempfile.TemporaryDirectory(prefix="syncd-dry-run-"))
        path = state_path(config, JOURNAL_NAME)
        # A one-shot run (sync-now) skips the journal's page check when its clean-close
        # seal holds; the daemon checks at every start.
        journal = (
            Journal.open_copy(path, into=Path(scratch), clock=clock)
            if scratch is not None
            else Journal.open(path, clock=clock, trust_seal=immediate)
        )
        stack.callback(journal.close)
        http = make_http_client(config.b2, meter=meter, clock=clock, stop=stop, limiter=limiter)
        s3_url = emulator.s3_url if emulator is not None else None
        client = build_remote(
            config.b2,
            realm_url=realm_url,
            s3_url=s3_url,
            http=http,
            clock=clock,
            rng=rng,
            stop=stop,
            client_tag=client_tag(config),
            policies=write_policies(config),
        )
        stack.callback(client.close)
        report = RunReport()
        runtimes: dict[str, FolderRuntime] = {}  # App.start() fills it
        inbox = Inbox(journal, timing_of(config.sync, immediate=immediate))
        rescanner = Rescanner(
            journal=journal, folders=runtimes, clock=clock, inbox=inbox, report=report
        )
        gate = None if immediate else PauseGate(journal, runtimes, clock)
        pool = WorkerPool(
            journal=journal,
            client=client,
            folders=runtimes,
            sync=config.sync,
            clock=clock,
            report=report,
            rescan=rescanner.rescan,
            remote_bound_s=remote_bound_s(config.sync, config.b2),
            rng=rng,
            stop=stop,
            inbox=inbox,
            # `syncd pause` holds the daemon's folders (claims pass them by; their rescans
            # still run); sync-now (immediate) is an explicit request.
            paused=None if gate is None else gate.paused,
        )
        calls = CallLedger(journal, client, clock)
        reconciler = Reconciler(
            journal=journal,
            client=client,
            folders=runtimes,
            clock=clock,
            sink=inbox.record,
            calls=calls,
            class_c_budget=config.b2.daily_class_c_budget,
            stop=stop,
        )
        return App(
            config=config,
            clock=clock,
            journal=journal,
            client=client,
            folders=runtimes,
            report=report,
            pool=pool,
            rescanner=rescanner,
            reconciler=reconciler,
            calls=calls,
            inbox=inbox,
            stop=stop,
            rng=rng,
            resources=stack.pop_all(),
            emulator=emulator,
            dry=dry_run,
            meter=meter,
            limiter=limiter,
        )


def client_tag(config: Config) -> str:
    """This installation's mark on the large files it starts: the host and the state
    directory, hashed (stable across restarts, distinct between clients)."""
    where = f"{platform.node()}:{config.state.dir.resolve()}"
    return hashlib.sha1(where.encode(), usedforsecurity=False).hexdigest()[:16]


def lock_state(config: Config) -> InstanceLock:
    """The instance lock of this config's journal (one syncd per journal)."""
    config.state.dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    return InstanceLock(state_path(config, LOCK_NAME))


def approve_deletes(config: Config, folders: list[str]) -> list[tuple[str, int]]:
    """Approve the pending deletes of ``folders``; return (folder, count) pairs."""
    journal = Journal.open(state_path(config, JOURNAL_NAME), clock=SystemClock())
    try:
        guard = DeleteGuard(journal, config.sync)
        return [(name, guard.approve(name)) for name in folders]
    finally:
        journal.close()
