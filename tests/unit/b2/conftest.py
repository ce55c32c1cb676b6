"""Fixtures for syncd.b2 unit tests: a manual clock, the fake B2 and a client on it."""

from __future__ import annotations

import os
import random
from collections.abc import Iterator
from dataclasses import replace

import httpx
import pytest

from syncd.b2 import B2Client, build_client
from syncd.config import B2Config
from syncd.domain import LocalState, RelPath
from tests.support.fake_clock import FakeClock
from tests.unit.b2.fake import FakeB2

B2_CONFIG = B2Config(
    realm="https://realm.fake.test",
    key_id="keyid0001",
    application_key="secret-app-key",
    key_source="env:TEST",
    max_attempts=5,
    backoff_base_s=1.0,
    backoff_cap_s=8.0,
)


@pytest.fixture
def clock() -> FakeClock:
    """A manual clock."""
    return FakeClock()


@pytest.fixture
def fake() -> FakeB2:
    """The in-memory fake B2."""
    return FakeB2()


def make_client(fake: FakeB2, clock: FakeClock, **overrides: object) -> B2Client:
    """A client on the fake B2 with config overrides."""
    config = replace(B2_CONFIG, **overrides)  # type: ignore[arg-type]
    http = httpx.Client(transport=fake.transport)
    return build_client(
        config, realm_url=config.realm, http=http, clock=clock, rng=random.Random(7)
    )


@pytest.fixture
def client(fake: FakeB2, clock: FakeClock) -> Iterator[B2Client]:
    """A client on the fake B2."""
    c = make_client(fake, clock)
    yield c
    c.close()


def local_file(
    tmp_path, data: bytes, name: str = "f.bin", *, mtime_ns: int = 1_700_000_000_123_456_789
):
    """Write a file with a fixed mtime and return (path, LocalState)."""
    path = tmp_path / name
    path.write_bytes(data)
    os.utime(path, ns=(mtime_ns, mtime_ns))
    return path, state_of(path, name)


def state_of(path, name: str = "f.bin"):
    """The LocalState of a path as lstat sees it now."""
    st = os.lstat(path)
    return LocalState(
        rel_path=RelPath(name),
        size=st.st_size,
        mtime_ns=st.st_mtime_ns,
        ctime_ns=st.st_ctime_ns,
        dev=st.st_dev,
        inode=st.st_ino,
    )
