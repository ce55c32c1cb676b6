"""Scenario 4: a loopback fault proxy resets, black-holes and slows connections mid-upload.

syncd talks to the emulator only through the proxy (the emulator advertises the proxy's
URL for its API and upload URLs); the oracle lists the bucket directly. Downloads are
not exercised: syncd has no download command yet. Clock jumps are not covered: syncd
reads the wall clock through ``syncd.clock`` only in-process and there is no way to step
the clock of a separate daemon without libfaketime or a time namespace hook in syncd.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorServer
from tests.lab.proxy import FaultProxy
from tests.lab.support import LabDaemon, LabOptions, Recorder, make_setup, wait_quiet, wait_verdict
from tests.lab.workload import make_files
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup

pytestmark = pytest.mark.lab

TIMEOUTS = "connect_timeout_s = 2.0\nread_timeout_s = 3.0\nupload_read_timeout_s = 5.0\n"


@pytest.fixture
def proxy(emulator: EmulatorServer, view: BucketView, lab: LabOptions) -> Iterator[FaultProxy]:
    """A fault proxy in front of the emulator, advertised as its URL to syncd."""
    port = int(emulator.base_url.rsplit(":", 1)[1])
    p = FaultProxy(port, lab.seed)
    # the oracle's view authorised directly; from now on B2's URLs name the proxy
    emulator._running_state().base_url = p.url
    yield p
    p.close()


@pytest.fixture
def net_setup(lab_dir: Path, proxy: FaultProxy) -> Setup:
    """A setup whose realm is the proxy, with short timeouts."""
    return make_setup(lab_dir, proxy.url, b2=TIMEOUTS)


@pytest.mark.timeout(600)
def test_resets_blackholes_and_slow_links_land_everything_once(
    net_setup: Setup, view: BucketView, proxy: FaultProxy, lab_dir: Path, record: Recorder
) -> None:
    """Connections reset, black-holed or slowed mid-upload: every file lands exactly once."""
    record.describe(
        "4a network: resets, black holes, slow links",
        "0 lost, 0 duplicates, 0 unfinished; then an outage: time to resume",
    )
    setup = net_setup
    rng = random.Random(11)
    proxy.fates.reset, proxy.fates.blackhole, proxy.fates.slow = 0.15, 0.1, 0.15
    proxy.fates.max_bytes = 400_000
    make_files(setup.root, 150, size=2000, sub="small")
    for i in range(4):
        (setup.root / f"large{i}.bin").write_bytes(rng.randbytes(800_000))
    daemon = LabDaemon(setup, lab_dir, "net")
    daemon.wait_ready()
    found, took = wait_verdict(view, setup, 240, step_s=1)
    record.fig("converged under faults s", took)
    assert found.ok, found.summary() + daemon.log()[-3000:]
    # an outage: every connection black-holed, files keep changing, then the network returns
    proxy.fates.reset = proxy.fates.blackhole = proxy.fates.slow = 0.0
    proxy.outage.set()
    make_files(setup.root, 40, size=1000, sub="during-outage")
    time.sleep(8)
    proxy.outage.clear()
    back = time.monotonic()
    found, _ = wait_verdict(view, setup, 120, step_s=0.5)
    record.fig("resume after outage s", round(time.monotonic() - back, 1))
    assert wait_quiet(setup, 120)
    found, _ = wait_verdict(view, setup, 10)
    assert daemon.terminate() == 0, daemon.log()
    record.fig("proxy", dict(proxy.counts))
    record.fig("files / versions", f"{found.local} / {found.versions}")
    assert proxy.counts["resets fired"] > 0
    assert proxy.counts["blackholed"] > 0
    assert found.ok, found.summary()
