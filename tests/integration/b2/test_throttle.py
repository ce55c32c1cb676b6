"""429/503 storms with Retry-After (seconds and HTTP date): nobody goes early."""

from __future__ import annotations

import email.utils
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from syncd.emulator import parse_fault
from tests.integration.b2.conftest import Exchange, Rig, local_file

pytestmark = pytest.mark.integration

API_CALLS = (
    "list_file_names",
    "list_file_versions",
    "get_upload_url",
    "list_buckets",
    "get_file_info",
)


def allowed_at(exchange: Exchange) -> float:
    """The wall-clock moment a Retry-After answer allows the next request."""
    value = exchange.retry_after or ""
    if value.isdigit():
        return exchange.answered_s + int(value)
    return email.utils.parsedate_to_datetime(value).timestamp()


class PacerProbe:
    """Records when each thread cleared the pacer and when the client set a pause."""

    def __init__(self, rig: Rig) -> None:
        self.passes: list[tuple[int, float, str]] = []
        self.blocks: list[tuple[float, str, float]] = []
        pacer = rig.client.session.pacer
        wait_turn, block = pacer.wait_turn, pacer.block

        def recording_wait(kind: str) -> bool:
            ok = wait_turn(kind)
            self.passes.append((threading.get_ident(), time.time(), kind))
            return ok

        def recording_block(kind: str, delay_s: float) -> None:
            self.blocks.append((time.time(), kind, delay_s))
            block(kind, delay_s)

        pacer.wait_turn = recording_wait  # type: ignore[method-assign]
        pacer.block = recording_block  # type: ignore[method-assign]

    def cleared_at(self, exchange, kind: str) -> float:
        """When the thread of ``exchange`` last cleared the pacer before sending it."""
        times = [
            t
            for th, t, k in self.passes
            if th == exchange.thread and k == kind and t <= exchange.sent_s
        ]
        return max(times, default=0.0)


def early_requests(rig, probe: PacerProbe, calls, kind: str) -> list[tuple[float, float]]:
    """Requests that cleared the pacer after a pause was set yet left before it ended."""
    early = []
    for set_at, blocked_kind, delay_s in probe.blocks:
        if blocked_kind != kind:
            continue
        deadline = set_at + delay_s
        for e in rig.wire.of(*calls):
            if probe.cleared_at(e, kind) > set_at and e.sent_s < deadline:
                early.append((e.sent_s, deadline))
    return early


def late_enough(rig, probe: PacerProbe, calls) -> bool:
    """Every pause the client set lasts at least as long as the server asked."""
    throttled = [e for e in rig.wire.of(*calls) if e.status in (429, 503) and e.retry_after]
    ends = sorted(set_at + delay for set_at, _, delay in probe.blocks)
    return len(ends) >= len(throttled) > 0 and all(
        any(end >= allowed_at(t) - 0.01 for end in ends) for t in throttled
    )


@pytest.mark.parametrize("retry_after", ["2", "http-date+1"])
@pytest.mark.parametrize("status", [429, 503])
def test_api_storm_honours_retry_after(rig_factory, status, retry_after):
    """A 429/503 storm on API calls: zero requests of the class before the allowed time."""
    rig = rig_factory()
    probe = PacerProbe(rig)
    rig.server.set_faults(
        [parse_fault(f"list_file_names:status={status},retry_after={retry_after},count=3")]
    )
    barrier = threading.Barrier(4)

    def lister(i: int) -> int:
        barrier.wait()
        return len(list(rig.client.iter_names(rig.bucket, f"p{i}/")))

    with ThreadPoolExecutor(max_workers=4) as pool:
        assert list(pool.map(lister, range(4))) == [0, 0, 0, 0]
    throttled = [e for e in rig.wire.of("list_file_names") if e.status == status]
    assert len(throttled) == 3
    assert early_requests(rig, probe, API_CALLS, "api") == []
    assert late_enough(rig, probe, API_CALLS)
    print(f"status={status} retry_after={retry_after} throttled={len(throttled)} early=0")


@pytest.mark.parametrize("retry_after", ["1", "http-date+1"])
def test_upload_429_pauses_every_uploader(rig_factory, tmp_path, retry_after):
    """429 on uploads (account rate limit) pauses every uploading thread until allowed."""
    rig = rig_factory()
    probe = PacerProbe(rig)
    rig.server.set_faults(
        [parse_fault(f"upload_file:status=429,retry_after={retry_after},count=2,skip=5")]
    )
    path, state = local_file(tmp_path, "f", b"z" * 64)

    def upload(i: int) -> None:
        rig.client.upload_file(rig.bucket, f"u/{i}", path, state)

    with ThreadPoolExecutor(max_workers=4) as pool:
        list(pool.map(upload, range(30)))
    assert len([e for e in rig.wire.of("upload_file") if e.status == 429]) == 2
    assert early_requests(rig, probe, ("upload_file", "upload_part"), "upload") == []
    assert late_enough(rig, probe, ("upload_file",))
    assert len(list(rig.client.iter_names(rig.bucket, "u/"))) == 30


def test_odd_retry_after_values_do_not_crash(rig_factory):
    """Garbage, zero and huge Retry-After values fall back to bounded waits, never a crash."""
    rig = rig_factory()
    rig.server.set_faults([parse_fault("list_file_names:status=503,retry_after=0,count=2")])
    assert list(rig.client.iter_names(rig.bucket)) == []
    assert rig.calls("list_file_names") == 3
