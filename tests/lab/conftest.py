"""The reliability lab (issue 11): options, fixtures and the results file.

Run on demand: ``pytest tests/lab -m lab`` (see docs/reliability.md). Options:
``--lab-cycles N`` kill -9 cycles (30; 200 for a release), ``--lab-seed S``,
``--lab-scale small|full`` and ``--lab-results FILE`` (where each test appends its row).
"""

from __future__ import annotations

import shutil
import stat
import tempfile
from collections.abc import Generator, Iterator
from pathlib import Path

import pytest

from syncd.emulator import EmulatorOptions, EmulatorServer
from tests.lab.render import DEFAULT_RESULTS, render
from tests.lab.support import (
    BUCKET,
    KEY,
    KEY_ID,
    LIVE,
    LabOptions,
    Recorder,
    append_result,
    make_setup,
)
from tests.support.bucket_view import BucketView
from tests.support.harness import Setup


def pytest_addoption(parser: pytest.Parser) -> None:
    """The lab's command-line options."""
    group = parser.getgroup("lab", "reliability lab (pytest -m lab)")
    group.addoption("--lab-cycles", type=int, default=30, help="kill -9 cycles (release: 200)")
    group.addoption("--lab-seed", type=int, default=1234, help="seed of workloads and faults")
    group.addoption(
        "--lab-scale", choices=("small", "full"), default="small", help="load test sizes"
    )
    group.addoption(
        "--lab-results", type=Path, default=DEFAULT_RESULTS, help="JSON file of lab rows"
    )
    group.addoption(
        "--lab-render",
        action="store_true",
        help="at the end, write the scorecard table of docs/reliability.md from the results",
    )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """With --lab-render, refresh docs/reliability.md's table from the results file."""
    cfg = session.config
    if cfg.getoption("--lab-render", default=False):
        render(Path(cfg.getoption("--lab-results")), cfg.rootpath / "docs" / "reliability.md")


@pytest.fixture(scope="session")
def lab(request: pytest.FixtureRequest) -> LabOptions:
    """The lab options of this run."""
    cfg = request.config
    return LabOptions(
        cycles=int(cfg.getoption("--lab-cycles")),
        seed=int(cfg.getoption("--lab-seed")),
        scale=str(cfg.getoption("--lab-scale")),
        results=Path(cfg.getoption("--lab-results")),
    )


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """Remember each phase's outcome on the item, for the results row."""
    report = yield
    if report.when == "call" or report.outcome != "passed":
        item.stash.setdefault(OUTCOME, []).append(
            "xfail" if hasattr(report, "wasxfail") else report.outcome
        )
    return report


OUTCOME = pytest.StashKey[list[str]]()


@pytest.fixture
def record(request: pytest.FixtureRequest, lab: LabOptions) -> Iterator[Recorder]:
    """Collects a test's figures; its row goes to the results file after the test."""
    rec = Recorder(test=request.node.name)
    yield rec
    outcomes = request.node.stash.get(OUTCOME, [])
    outcome = "fail" if "failed" in outcomes else (outcomes[-1] if outcomes else "pass")
    if outcome == "passed":
        outcome = "pass"
    elif outcome == "skipped":
        outcome = "skip"
    # xfail outcomes reach the makereport hook as "skipped" with wasxfail set
    append_result(lab, rec, outcome)


@pytest.fixture(autouse=True)
def reap() -> Iterator[None]:
    """Kill any daemon a test started and did not stop (a failed assertion, a timeout)."""
    yield
    while LIVE:
        LIVE.pop().kill()


@pytest.fixture
def emulator(lab: LabOptions) -> Iterator[EmulatorServer]:
    """A fresh in-memory emulator with small large-file limits, seeded by --lab-seed."""
    server = EmulatorServer(
        EmulatorOptions(
            key_id=KEY_ID,
            key=KEY,
            buckets=(BUCKET,),
            recommended_part_size=256 * 1024,
            absolute_minimum_part_size=64 * 1024,
            seed=lab.seed,
        )
    )
    with server:
        yield server


@pytest.fixture
def lab_dir() -> Iterator[Path]:
    """A scratch directory any user can traverse (for daemons run as nobody)."""
    path = Path(tempfile.mkdtemp(prefix="syncd-lab-"))
    path.chmod(stat.S_IRWXU | stat.S_IRGRP | stat.S_IXGRP | stat.S_IROTH | stat.S_IXOTH)
    yield path
    # mounts only ever live in a daemon's private mount namespace, gone with it
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture
def setup(lab_dir: Path, emulator: EmulatorServer) -> Setup:
    """A folder, a state dir and a config pointing at the emulator."""
    return make_setup(lab_dir, emulator.base_url)


@pytest.fixture
def view(emulator: EmulatorServer) -> Iterator[BucketView]:
    """An independent reader of the bucket."""
    v = BucketView(emulator.base_url, KEY_ID, KEY)
    yield v
    v.close()
